import { afterAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../src/hashes/index.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

describe('marker family', () => {
  it.each(['', '!', '!!', '*', '*LK*', '*NP*', '!$6$Y6kI4tcO8h.prh1Z$PNIzKZ8vp/fSkzb9XNYhjsmW2ZUIrQUxbpqWRSQ/BAsMcGElFfIdC0zhUqQNUrqaNp2ym5Jodx3yoAkTBvhyG1', '*LOCKED*$1$abc$def'])(
    'unix_disabled: %j is a locked account, never a valid password',
    async (hash) => {
      expect(registry.identify(hash)[0]).toBe('unix_disabled');
      await expect(registry.verify('secret', hash)).resolves.toEqual({ valid: false, scheme: 'unix_disabled', needsUpgrade: false, disabled: true });
    },
  );

  it('a locked sha512-crypt whose inner hash matches still says disabled', async () => {
    // doveadm pw -s SHA512-CRYPT -p secret, then passwd -l style `!` in front.
    const inner = '$6$Y6kI4tcO8h.prh1Z$PNIzKZ8vp/fSkzb9XNYhjsmW2ZUIrQUxbpqWRSQ/BAsMcGElFfIdC0zhUqQNUrqaNp2ym5Jodx3yoAkTBvhyG1';
    await expect(registry.verify('secret', `!${inner}`)).resolves.toMatchObject({ valid: false, disabled: true });
  });

  it('django_disabled: Django set_unusable_password output', async () => {
    // The shape of Django's make_password(None): UNUSABLE_PASSWORD_PREFIX "!" + get_random_string(40) (random here).
    const hash = '!Ie4PLxfbkbLJV1yLGJgJJH2XfHwhhrcnHU45oKCq';
    expect(registry.identify(hash)).toEqual(['django_disabled', 'unix_disabled']);
    await expect(registry.verify('anything', hash)).resolves.toMatchObject({ valid: false, scheme: 'django_disabled', disabled: true });
  });

  it('named explicitly, any value is a marker', async () => {
    await expect(registry.verify('secret', 'whatever', { scheme: 'unix_disabled' })).resolves.toMatchObject({ valid: false, disabled: true });
  });

  it('leaves MySQL 4.1 and real hashes alone', () => {
    expect(registry.identify('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19')).not.toContain('unix_disabled');
    expect(registry.identify('$6$Y6kI4tcO8h.prh1Z$PNIzKZ8vp/fSkzb9XNYhjsmW2ZUIrQUxbpqWRSQ/BAsMcGElFfIdC0zhUqQNUrqaNp2ym5Jodx3yoAkTBvhyG1')).not.toContain('unix_disabled');
    expect(registry.identify('{SSHA}Gf9E6OdIW+EeBucNT0JkS8f6NrqYvqZ+')).not.toContain('unix_disabled');
  });
});
