import type { HashScheme } from '../../types.js';
import { aspnetMembership } from './membership.js';

export const aspnetMembershipSha256: HashScheme = aspnetMembership('aspnet_membership_sha256', 'sha256');
