import type { HashScheme } from '../../types.js';
import { aspnetMembership } from './membership.js';

export const aspnetMembershipSha1: HashScheme = aspnetMembership('aspnet_membership_sha1', 'sha1');
