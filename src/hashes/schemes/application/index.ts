import type { HashScheme } from '../../types.js';
import { djangoDesCrypt } from './django-des-crypt.js';
import { djangoSaltedMd5 } from './django-salted-md5.js';
import { djangoSaltedSha1 } from './django-salted-sha1.js';
import { djangoUnsaltedMd5 } from './django-unsalted-md5.js';
import { djangoUnsaltedSha1 } from './django-unsalted-sha1.js';
import { drupal7 } from './drupal7.js';
import { ipbMybbMd5 } from './ipb-mybb-md5.js';
import { joomlaMd5Salt } from './joomla-md5-salt.js';
import { kratosImport } from './kratos-import.js';
import { kratosScrypt } from './kratos-scrypt.js';
import { mediawikiB } from './mediawiki-b.js';
import { opencartSha1 } from './opencart-sha1.js';
import { oscommerceMd5Salt } from './oscommerce-md5-salt.js';
import { phpass } from './phpass.js';
import { prestashopMd5 } from './prestashop-md5.js';
import { punbbSha1 } from './punbb-sha1.js';
import { railsRestfulAuth } from './rails-restful-auth.js';
import { redmineSha1 } from './redmine-sha1.js';
import { smfSha1 } from './smf-sha1.js';
import { springDelegating } from './spring-delegating.js';
import { springMessageDigest } from './spring-message-digest.js';
import { springScrypt } from './spring-scrypt.js';
import { vbulletinMd5 } from './vbulletin-md5.js';

/**
 * The application family, in identify order. One file per scheme in this folder. The prefixed shapes
 * come first (Spring's `{id}` values, the Django `algo$` forms, Kratos' `$name$`), then phpass and Drupal;
 * the rest are bare digests with context and have no identify.
 */
export const applicationSchemes: readonly HashScheme[] = [
  springDelegating,
  djangoUnsaltedMd5,
  djangoUnsaltedSha1,
  djangoSaltedMd5,
  djangoSaltedSha1,
  djangoDesCrypt,
  kratosImport,
  phpass,
  drupal7,
  mediawikiB,
  springMessageDigest,
  springScrypt,
  kratosScrypt,
  joomlaMd5Salt,
  oscommerceMd5Salt,
  vbulletinMd5,
  ipbMybbMd5,
  smfSha1,
  prestashopMd5,
  opencartSha1,
  redmineSha1,
  punbbSha1,
  railsRestfulAuth,
];
