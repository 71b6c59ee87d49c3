#!/usr/bin/python3
"""Writes test/vectors/<scheme-id>.jsonl from independent implementations installed from Debian's packages.

Run with Debian's interpreter (the python3-* oracles are not visible to other Pythons):

    /usr/bin/python3 scripts/vectors/generate.py [--published PATH] [--only id,id] [--no-crosscheck]

--only rewrites only the named files (the others stay byte-identical) and refreshes the counts table of
docs/hash-vectors.md from the files on disk.

Every line is {"password", "hash", "context"?, "expected", "source"}. Positives come from the oracles
(passlib, Django, PHP, slappasswd, doveadm, htpasswd, mkpasswd/libxcrypt, openssl passwd, the argon2 CLI,
argon2-cffi, WordPress 6.8's hashing on PHP (php_oracle.php), the JDK for Keycloak (KeycloakOracle.java,
compiled into a temporary directory, one JVM), libpq for PostgreSQL SCRAM). hashcat only verifies: it decides
the lines of the formats whose strings are constructed here from its modules' formulas. Wrong-password lines take a positive hash with a near-miss password; their verdict comes
from the same oracle's verify where it has one, else they are false by construction. "Probe" lines ask
the oracle about passwords that look wrong but may not be for that format (appended character after a
truncation point, upper case for case-folding formats, spaces removed for mysql323) and record whatever
the oracle answers. Published upstream vectors are appended unchanged (format -> file, expect -> expected).
After writing, every vector is re-checked by every *other* implementation on this machine that knows the
format, and the agreement table is printed (docs/hash-vectors.md explains the known disagreements).

See docs/hash-vectors.md for what each oracle is and which findings of hash-formats.md the data encodes.
"""

from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import hmac as hmac_mod
import json
import os
import random
import re
import string
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

warnings.filterwarnings('ignore')  # passlib/crypt deprecation chatter; failures are caught per vector

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / 'test' / 'vectors'
PHP_HELPER = Path(__file__).resolve().parent / 'php_oracle.php'
JAVA_HELPER = Path(__file__).resolve().parent / 'KeycloakOracle.java'
DEFAULT_PUBLISHED = Path('/work/shared/reference/published-vectors.jsonl')
DEFAULT_FORMATS = Path('/work/shared/reference/hash-formats.md')
# Registry ids that hash-formats.md's format table does not list (it found no published vector for them), but
# that an oracle here makes: accepted as file names besides the table's ids.
EXTRA_IDS = {'wordpress_bcrypt', 'keycloak_pbkdf2', 'keycloak_pbkdf2_sha256', 'keycloak_pbkdf2_sha512'}
# Ids whose lines come from hashcat_vectors (hashcat as the verifier).
HASHCAT_IDS = ['postgres_scram_sha256', 'bcrypt_md5', 'bcrypt_sha1', 'bcrypt_sha512_hex', 'joomla_md5_salt', 'oscommerce_md5_salt',
               'vbulletin_md5', 'ipb_mybb_md5', 'prestashop_md5', 'opencart_sha1', 'redmine_sha1', 'punbb_sha1', 'smf_sha1',
               'aix_ssha1', 'aix_ssha256', 'aix_ssha512', 'cisco_type4', 'cisco_type8', 'cisco_type9', 'drupal7', 'mediawiki_b',
               'ds389_pbkdf2_sha256', 'web2py_pbkdf2', 'rails_restful_auth', 'aspnet_membership_sha1', 'aspnet_membership_sha256',
               'mssql2012']

# ---------------------------------------------------------------------------------------------------------
# The fixed password list. Index 0 and 3 are the bases of the wrong-password vectors; LONG is > 72 UTF-8
# bytes so bcrypt's truncation shows; the last entry is the empty password (only some oracles take it).
LONG = 'The quick brown fox jumps over the lazy dog, then keeps running past byte 72!!'
PASSWORDS = [
    'password',
    'correct horse battery staple',
    'Tr0ub4dor&3',
    'héllo wörld',
    'Straße',
    'пароль',
    '密码パスワード',
    'emoji🔑🙂',
    LONG,
    '',
]
assert len(LONG.encode()) > 72
I_LONG = PASSWORDS.index(LONG)
# The password that gets an oracle's default (expensive) work factor: not a base of negatives or probes,
# so each default-cost hash is verified once.
DEFAULT_I = 2
USERS = ['alice', 'Administrator', 'Bob.Smith', 'postgres']
REALM = 'example.com'


def near_miss(password: str) -> str:
    """A different first character that stays different under upper-casing and 7-bit stripping."""
    if not password:
        return 'x'
    first = password[0]
    replacement = 'q' if first.lower() != 'q' else 'z'
    return replacement + password[1:]


# Probes: (name, index of the base password, transform). The oracle decides the verdict.
PROBES: list[tuple[str, int, Callable[[str], str]]] = [
    ("'!' appended", 0, lambda p: p + '!'),
    ('upper-cased', 0, lambda p: p.upper()),
    ('spaces removed', 1, lambda p: p.replace(' ', '')),
    ('last character (after byte 72) changed', I_LONG, lambda p: p[:-1] + '?'),
]

def is_ascii(password: str) -> bool:
    return all(ord(c) < 128 for c in password)


# ---------------------------------------------------------------------------------------------------------
# Deterministic salts: one RNG per (recipe, password index), seeded by a string (Python hashes str seeds
# with SHA-512, so the sequence is stable across runs and machines).
H64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
ALNUM = string.ascii_letters + string.digits


def rng_for(*parts: Any) -> random.Random:
    return random.Random(':'.join(str(p) for p in parts))


def h64(r: random.Random, n: int) -> str:
    return ''.join(r.choice(H64) for _ in range(n))


def alnum(r: random.Random, n: int) -> str:
    return ''.join(r.choice(ALNUM) for _ in range(n))


def raw(r: random.Random, n: int) -> bytes:
    return bytes(r.randrange(256) for _ in range(n))


def bcrypt_salt(r: random.Random) -> str:
    # The 22nd character carries only 2 significant bits: pick one whose padding bits are zero.
    return h64(r, 21) + r.choice('.Oeu')


def run(args: list[str], stdin: Optional[bytes] = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, input=stdin, capture_output=True, check=check, timeout=120)


def dpkg_version(package: str) -> str:
    out = run(['dpkg-query', '-W', '-f=${Version}', package], check=False).stdout.decode().strip()
    return out or 'unknown'


# ---------------------------------------------------------------------------------------------------------
# Vector store.

@dataclass
class Vector:
    id: str
    password: str
    hash: str
    expected: bool
    source: str
    context: Optional[dict[str, Any]] = None

    def to_json(self) -> str:
        line: dict[str, Any] = {'password': self.password, 'hash': self.hash}
        if self.context:
            line['context'] = self.context
        line['expected'] = self.expected
        line['source'] = self.source
        return json.dumps(line, ensure_ascii=False)


class Store:
    def __init__(self) -> None:
        self.by_id: dict[str, list[Vector]] = collections.defaultdict(list)
        self.seen: dict[tuple[str, str, str, str], Vector] = {}
        self.skipped: collections.Counter[str] = collections.Counter()

    def add(self, v: Vector) -> None:
        key = (v.id, v.password, v.hash, json.dumps(v.context, sort_keys=True))
        first = self.seen.get(key)
        if first is None:
            self.seen[key] = v
            self.by_id[v.id].append(v)
        elif oracle_family(v.source) != oracle_family(first.source) and v.expected == first.expected:
            # Unsalted formats: a second tool wrote the very same line; keep one line, name both tools.
            first.source += f' | same line from {v.source}'


# ---------------------------------------------------------------------------------------------------------
# A recipe: one oracle making one scheme id's hashes.

MakeResult = tuple[str, Optional[dict[str, Any]], str]  # hash, context, how (no password, no salt value)


@dataclass
class Recipe:
    id: str
    oracle: str  # oracle family, used to pick *other* implementations for the cross-check
    label: str  # tool and version, e.g. 'passlib 1.7.4'
    make: Callable[[str, int], Optional[MakeResult]]
    verify: Optional[Callable[[str, str, Optional[dict[str, Any]]], bool]] = None
    verify_how: str = ''
    accepts: Callable[[str], bool] = lambda p: True
    indices: Optional[list[int]] = None  # password indices to hash (default: all)
    probes: bool = True
    neg_bases: list[int] = field(default_factory=lambda: [0, 3])


def generate(store: Store, recipe: Recipe) -> None:
    made: dict[int, MakeResult] = {}
    indices = recipe.indices if recipe.indices is not None else list(range(len(PASSWORDS)))
    for i in indices:
        password = PASSWORDS[i]
        if not recipe.accepts(password):
            continue
        try:
            result = recipe.make(password, i)
        except Exception as error:  # an oracle refusing a password is data about the oracle, not a bug here
            store.skipped[f'{recipe.id} / {recipe.label}: {type(error).__name__}'] += 1
            continue
        if result is None:
            continue
        made[i] = result
        hash_, context, how = result
        store.add(Vector(recipe.id, password, hash_, True, f'{recipe.label} {how}', context))

    def verdict(password: str, hash_: str, context: Optional[dict[str, Any]]) -> Optional[bool]:
        if recipe.verify is None:
            return None
        try:
            return bool(recipe.verify(password, hash_, context))
        except Exception:
            return None

    # Wrong passwords: near misses of two bases (fall back to other hashed passwords).
    bases = [i for i in recipe.neg_bases if i in made] or sorted(made)[:2]
    if len(bases) < 2:
        bases += [i for i in sorted(made) if i not in bases][: 2 - len(bases)]
    for i in bases:
        hash_, context, how = made[i]
        wrong = near_miss(PASSWORDS[i])
        answer = verdict(wrong, hash_, context)
        if answer is None:
            store.add(Vector(recipe.id, wrong, hash_, False, f'{recipe.label} {how} [negative: first character changed]', context))
        else:
            store.add(Vector(recipe.id, wrong, hash_, answer,
                             f'{recipe.label} {how} [negative: first character changed; verdict by {recipe.verify_how}]', context))
    if recipe.verify is None or not recipe.probes:
        return
    for name, i, transform in PROBES:
        if i not in made:
            continue
        probe = transform(PASSWORDS[i])
        if probe == PASSWORDS[i]:
            continue
        hash_, context, how = made[i]
        answer = verdict(probe, hash_, context)
        if answer is None:
            continue
        store.add(Vector(recipe.id, probe, hash_, answer, f'{recipe.label} {how} [probe: {name}; verdict by {recipe.verify_how}]', context))


# ---------------------------------------------------------------------------------------------------------
# passlib

from passlib import __version__ as PASSLIB_VERSION  # noqa: E402
from passlib import hash as ph  # noqa: E402

PL = f'passlib {PASSLIB_VERSION}'


def describe_kwargs(kwargs: dict[str, Any]) -> str:
    return ', '.join(f'{k}=fixed' if k == 'salt' else f'{k}={v!r}' for k, v in kwargs.items())


def passlib_recipe(scheme_id: str, settings: Callable[[random.Random, int], dict[str, Any]] = lambda r, i: {},
                   context: Callable[[int], Optional[dict[str, Any]]] = lambda i: None, handler: Optional[str] = None,
                   **extra: Any) -> Recipe:
    name = handler or scheme_id
    base = getattr(ph, name)

    def make(password: str, i: int) -> MakeResult:
        kwargs = settings(rng_for('passlib', scheme_id, i), i)
        ctx = context(i)
        h = base.using(**kwargs) if kwargs else base
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            hashed = h.hash(password, **(ctx or {}))
        call = f'{name}.using({describe_kwargs(kwargs)}).hash' if kwargs else f'{name}.hash'
        return hashed, ctx, call + ('(password, **context)' if ctx else '')

    def verify(password: str, hashed: str, ctx: Optional[dict[str, Any]]) -> bool:
        return base.verify(password, hashed, **(ctx or {}))

    return Recipe(scheme_id, 'passlib', PL, make, verify, f'{PL} {name}.verify', **extra)


def cycle(values: list[Any], i: int) -> Any:
    return values[i % len(values)]


def user_ctx(i: int) -> dict[str, Any]:
    return {'user': cycle(USERS, i)}


def optional_user_ctx(i: int) -> Optional[dict[str, Any]]:
    return None if i % 3 == 2 else {'user': cycle(USERS, i)}


def passlib_recipes() -> list[Recipe]:
    salt = lambda n: (lambda r, i: {'salt': h64(r, n)})  # noqa: E731
    rawsalt = lambda n: (lambda r, i: {'salt': raw(r, n)})  # noqa: E731
    r: list[Recipe] = []
    add = lambda *a, **k: r.append(passlib_recipe(*a, **k))  # noqa: E731
    add('apr_md5_crypt', salt(8))
    # passlib's argon2 (all three types). DEFAULT_I keeps passlib's defaults (m=512 KiB, t=2, p=2).
    add('argon2', lambda r_, i: {} if i == DEFAULT_I else {'type': cycle(['ID', 'I', 'D'], i), 'memory_cost': cycle([256, 1024], i),
                                                  'rounds': cycle([1, 2], i), 'parallelism': cycle([1, 2], i // 2), 'salt': raw(r_, 16)})
    add('atlassian_pbkdf2_sha1', rawsalt(16))
    add('bcrypt', lambda r_, i: {'ident': cycle(['2b', '2a', '2y'], i), 'rounds': 12 if i == DEFAULT_I else 4, 'salt': bcrypt_salt(r_)})
    add('bcrypt_sha256', lambda r_, i: {'version': cycle([2, 1], i), 'rounds': 4, 'salt': bcrypt_salt(r_)})
    add('bigcrypt', salt(2))
    # finding 1: passlib encodes real UTF-16LE, FreeBSD/libxcrypt widen bytes; libxcrypt owns non-ASCII.
    add('bsd_nthash', accepts=is_ascii)
    add('bsdi_crypt', lambda r_, i: {'rounds': cycle([5001, 725, 1], i), 'salt': h64(r_, 4)})
    add('cisco_asa', context=optional_user_ctx)
    add('cisco_pix', context=optional_user_ctx)
    add('cisco_type7', lambda r_, i: {'salt': r_.randrange(16)})
    add('crypt16', salt(2))
    add('cta_pbkdf2_sha1', lambda r_, i: {'rounds': 1000, 'salt': raw(r_, 16)})
    add('des_crypt', salt(2))
    add('django_argon2')
    add('django_bcrypt', lambda r_, i: {'rounds': 4, 'salt': bcrypt_salt(r_)})
    add('django_bcrypt_sha256', lambda r_, i: {'rounds': 4, 'salt': bcrypt_salt(r_)})
    add('django_des_crypt', salt(2))
    add('django_pbkdf2_sha1', lambda r_, i: {} if i == DEFAULT_I else {'rounds': 1000, 'salt': alnum(r_, 12)})
    add('django_pbkdf2_sha256', lambda r_, i: {} if i == DEFAULT_I else {'rounds': 1000, 'salt': alnum(r_, 12)})
    add('django_salted_md5', lambda r_, i: {'salt': alnum(r_, 12)})
    add('django_salted_sha1', lambda r_, i: {'salt': alnum(r_, 12)})
    add('dlitz_pbkdf2_sha1', lambda r_, i: {'rounds': 1000, 'salt': h64(r_, 16)})
    add('fshp', lambda r_, i: {'variant': cycle([0, 1, 2, 3], i), 'rounds': cycle([1000, 4096, 1], i), 'salt': raw(r_, 16)})
    add('grub_pbkdf2_sha512', lambda r_, i: {'rounds': 1000, 'salt': raw(r_, 64)})
    for sid in ['hex_md4', 'hex_md5', 'hex_sha1', 'hex_sha256', 'hex_sha512', 'ldap_hex_md5', 'ldap_hex_sha1', 'ldap_md5', 'ldap_sha1',
                'ldap_plaintext', 'lmhash', 'mssql2000', 'mssql2005', 'mysql323', 'mysql41', 'nthash', 'oracle11', 'plaintext',
                'roundup_plaintext']:
        add(sid)
    add('htdigest', context=lambda i: {'user': cycle(USERS, i), 'realm': REALM})
    add('ldap_bcrypt', lambda r_, i: {'rounds': 4, 'salt': bcrypt_salt(r_)})
    add('ldap_bsdi_crypt', lambda r_, i: {'rounds': 725, 'salt': h64(r_, 4)})
    add('ldap_des_crypt', salt(2))
    add('ldap_md5_crypt', salt(8))
    for sid in ['ldap_pbkdf2_sha1', 'ldap_pbkdf2_sha256', 'ldap_pbkdf2_sha512']:
        add(sid, lambda r_, i: {'rounds': 1000, 'salt': raw(r_, 16)})
    for sid in ['ldap_salted_md5', 'ldap_salted_sha1', 'ldap_salted_sha256', 'ldap_salted_sha512']:
        sizes = [4, 8, 16] if sid in ('ldap_salted_md5', 'ldap_salted_sha1') else [8, 16]
        add(sid, (lambda sz: lambda r_, i: {'salt': raw(r_, cycle(sz, i))})(sizes))
    add('ldap_sha1_crypt', lambda r_, i: {'rounds': 5000, 'salt': h64(r_, 8)}, indices=[0, 1, 3, 5, 7, 8])
    add('ldap_sha256_crypt', lambda r_, i: {'rounds': cycle([5000, 1000], i), 'salt': h64(r_, 16)})
    add('ldap_sha512_crypt', lambda r_, i: {'rounds': cycle([5000, 1000], i), 'salt': h64(r_, 16)})
    add('md5_crypt', lambda r_, i: {'salt': h64(r_, cycle([8, 8, 4], i))})
    add('msdcc', context=user_ctx)
    add('msdcc2', context=user_ctx)
    add('oracle10', context=user_ctx)
    add('pbkdf2_sha1', lambda r_, i: {} if i == DEFAULT_I else {'rounds': 1000, 'salt': raw(r_, 16)})
    add('pbkdf2_sha256', lambda r_, i: {} if i == DEFAULT_I else {'rounds': 1000, 'salt': raw(r_, 16)})
    add('pbkdf2_sha512', lambda r_, i: {} if i == DEFAULT_I else {'rounds': 1000, 'salt': raw(r_, 16)})
    # WordPress uses 2^8 rounds ($P$B); phpBB3 writes $H$.
    add('phpass', lambda r_, i: {'ident': cycle(['P', 'H'], i), 'rounds': cycle([8, 10], i // 2), 'salt': h64(r_, 8)})
    add('postgres_md5', context=user_ctx)
    add('scram', lambda r_, i: {'rounds': 1000, 'algs': cycle(['sha-1,sha-256,sha-512', 'sha-1,sha-256', 'sha-1'], i), 'salt': raw(r_, 12)})
    # DEFAULT_I: passlib's default (ln=16, 64 MiB): one default-cost vector.
    add('scrypt', lambda r_, i: {} if i == DEFAULT_I else {'rounds': cycle([4, 6, 8, 10], i), 'block_size': 8, 'parallelism': cycle([1, 2], i),
                                                  'salt': raw(r_, 16)})
    add('sha1_crypt', lambda r_, i: {'rounds': cycle([5000, 1000], i), 'salt': h64(r_, 8)})
    add('sha256_crypt', lambda r_, i: {'rounds': cycle([5000, 1000, 20000], i), 'salt': h64(r_, 16)})
    add('sha512_crypt', lambda r_, i: {'rounds': cycle([5000, 1000, 20000], i), 'salt': h64(r_, 16)})
    add('sun_md5_crypt', lambda r_, i: {} if i == DEFAULT_I else {'rounds': cycle([0, 100, 5000], i), 'salt': h64(r_, 8)})
    return r


def passlib_markers(store: Store) -> None:
    """Disabled-account markers never verify, whatever the password (passlib unix_disabled / django_disabled)."""
    inner = ph.sha512_crypt.using(rounds=5000, salt='markersaltmarker').hash('password')
    for marker, how in [('!', 'bare "!"'), ('*', 'bare "*"'), ('!!', '"!!" (shadow: never set)'), ('*LK*', 'Solaris "*LK*"'),
                        ('!' + inner, '"!" + sha512_crypt of the tested password (locked account)'),
                        ('*' + inner, '"*" + sha512_crypt of the tested password')]:
        assert not ph.unix_disabled.verify('password', marker)
        store.add(Vector('unix_disabled', 'password', marker, False, f'{PL} unix_disabled.verify is false for {how}'))
    for password in ['password', '']:
        hashed = ph.unix_disabled.hash(password)
        store.add(Vector('unix_disabled', password, hashed, False, f'{PL} unix_disabled.hash (always the marker)'))
    store.add(Vector('unix_disabled', 'x', '!', False, f'{PL} unix_disabled.verify is false for bare "!"'))
    for password in ['password', 'héllo wörld']:
        hashed = ph.django_disabled.hash(password)
        store.add(Vector('django_disabled', password, hashed, False, f'{PL} django_disabled.hash ("!" + 40 random characters)'))


# ---------------------------------------------------------------------------------------------------------
# Django 3.2 (its own hashers)

def django_recipes() -> list[Recipe]:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(SECRET_KEY='vectors', PASSWORD_HASHERS=[
            'django.contrib.auth.hashers.PBKDF2PasswordHasher', 'django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher',
            'django.contrib.auth.hashers.Argon2PasswordHasher', 'django.contrib.auth.hashers.BCryptSHA256PasswordHasher',
            'django.contrib.auth.hashers.BCryptPasswordHasher', 'django.contrib.auth.hashers.SHA1PasswordHasher',
            'django.contrib.auth.hashers.MD5PasswordHasher', 'django.contrib.auth.hashers.UnsaltedSHA1PasswordHasher',
            'django.contrib.auth.hashers.UnsaltedMD5PasswordHasher', 'django.contrib.auth.hashers.CryptPasswordHasher'])
    from django.contrib.auth import hashers as dh

    label = f'Django {django.get_version()}'
    recipes: list[Recipe] = []

    def recipe(scheme_id: str, cls: Any, configure: Callable[[Any, random.Random, int], tuple[Any, str]]) -> None:
        def make(password: str, i: int) -> MakeResult:
            hasher = cls()
            salt, how = configure(hasher, rng_for('django', scheme_id, i), i)
            return hasher.encode(password, salt), None, f'{cls.__name__}{how}.encode'

        def verify(password: str, hashed: str, ctx: Optional[dict[str, Any]]) -> bool:
            return cls().verify(password, hashed)

        recipes.append(Recipe(scheme_id, 'django', label, make, verify, f'{label} {cls.__name__}.verify'))

    def pbkdf2(hasher: Any, r: random.Random, i: int) -> tuple[Any, str]:
        if i == DEFAULT_I:
            return alnum(r, 12), ' (default iterations)'
        hasher.iterations = 1000
        return alnum(r, 12), '(iterations=1000)'

    def bcrypt_(hasher: Any, r: random.Random, i: int) -> tuple[Any, str]:
        rounds = 12 if (i == DEFAULT_I and type(hasher) is dh.BCryptSHA256PasswordHasher) else 4
        return f'$2b${rounds:02d}${bcrypt_salt(r)}'.encode(), f'(rounds={rounds})'

    def argon2_(hasher: Any, r: random.Random, i: int) -> tuple[Any, str]:
        if i % 2 == 0:
            return alnum(r, 16), ' (defaults)'
        hasher.time_cost, hasher.memory_cost, hasher.parallelism = 1, 256, 1
        return alnum(r, 16), '(time_cost=1, memory_cost=256, parallelism=1)'

    recipe('django_pbkdf2_sha256', dh.PBKDF2PasswordHasher, pbkdf2)
    recipe('django_pbkdf2_sha1', dh.PBKDF2SHA1PasswordHasher, pbkdf2)
    recipe('django_argon2', dh.Argon2PasswordHasher, argon2_)
    recipe('django_bcrypt_sha256', dh.BCryptSHA256PasswordHasher, bcrypt_)
    recipe('django_bcrypt', dh.BCryptPasswordHasher, bcrypt_)
    recipe('django_salted_sha1', dh.SHA1PasswordHasher, lambda h, r, i: (alnum(r, 12), ''))
    recipe('django_salted_md5', dh.MD5PasswordHasher, lambda h, r, i: (alnum(r, 12), ''))
    recipe('django_unsalted_sha1', dh.UnsaltedSHA1PasswordHasher, lambda h, r, i: ('', ''))
    recipe('django_unsalted_md5', dh.UnsaltedMD5PasswordHasher, lambda h, r, i: ('', ''))
    recipe('django_des_crypt', dh.CryptPasswordHasher, lambda h, r, i: (alnum(r, 2), ''))
    return recipes


def django_markers(store: Store) -> None:
    import django
    from django.contrib.auth.hashers import check_password, make_password

    for password in ['password', '']:
        hashed = make_password(None)
        assert not check_password(password, hashed)
        store.add(Vector('django_disabled', password, hashed, False,
                         f'Django {django.get_version()} make_password(None) (unusable password: "!" + 40 random characters)'))


# ---------------------------------------------------------------------------------------------------------
# PHP 8.2 (through php_oracle.php, one process for everything)

class Php:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(['php', str(PHP_HELPER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding='utf-8')
        self.version = self.call({'op': 'version'})

    def call(self, job: dict[str, Any]) -> Any:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(job, ensure_ascii=False) + '\n')
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())['result']

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


def php_recipes(php: Php) -> list[Recipe]:
    label = f'php {php.version}'

    def verify(password: str, hashed: str, ctx: Optional[dict[str, Any]]) -> bool:
        return bool(php.call({'op': 'verify', 'password': password, 'hash': hashed}))

    recipes: list[Recipe] = []

    def crypt_recipe(scheme_id: str, setting: Callable[[random.Random, int], str], how: Callable[[int], str]) -> None:
        def make(password: str, i: int) -> Optional[MakeResult]:
            out = php.call({'op': 'crypt', 'password': password, 'salt': setting(rng_for('php', scheme_id, i), i)})
            if not isinstance(out, str) or out.startswith('*'):
                raise ValueError('crypt failed')
            return out, None, f'crypt() with a fixed {how(i)} setting'
        recipes.append(Recipe(scheme_id, 'php', label, make, verify, f'{label} password_verify'))

    crypt_recipe('bcrypt', lambda r, i: f'${cycle(["2y", "2a", "2b"], i)}$04${bcrypt_salt(r)}', lambda i: f'${cycle(["2y", "2a", "2b"], i)}$04$')
    # finding 10: $2x$ differs from $2a$ only for non-ASCII input.
    crypt_recipe('bcrypt_2x', lambda r, i: f'$2x$04${bcrypt_salt(r)}', lambda i: '$2x$04$')
    crypt_recipe('des_crypt', lambda r, i: h64(r, 2), lambda i: '2-character')
    crypt_recipe('bsdi_crypt', lambda r, i: '_' + cycle(['J9..', '/...', '1...'], i) + h64(r, 4), lambda i: '_' + cycle(['J9..', '/...', '1...'], i))
    crypt_recipe('md5_crypt', lambda r, i: f'$1${h64(r, 8)}$', lambda i: '$1$')
    for scheme_id, tag in [('sha256_crypt', '5'), ('sha512_crypt', '6')]:
        crypt_recipe(scheme_id, (lambda t: lambda r, i: f'${t}$' + cycle(['', 'rounds=1000$'], i) + h64(r, 16) + '$')(tag),
                     (lambda t: lambda i: f'${t}$' + cycle(['', 'rounds=1000$'], i))(tag))

    def hash_recipe(scheme_id: str, algo: str, options: Callable[[int], dict[str, Any]]) -> None:
        def make(password: str, i: int) -> MakeResult:
            opts = options(i)
            out = php.call({'op': 'password_hash', 'password': password, 'algo': algo, 'options': opts})
            return out, None, f'password_hash PASSWORD_{algo.upper()} {json.dumps(opts) if opts else "(defaults)"}'
        recipes.append(Recipe(scheme_id, 'php', label, make, verify, f'{label} password_verify'))

    hash_recipe('bcrypt', 'bcrypt', lambda i: {} if i == DEFAULT_I else {'cost': 4})
    for scheme_id in ['argon2i', 'argon2id']:
        hash_recipe(scheme_id, scheme_id, lambda i: {} if i == DEFAULT_I else {'memory_cost': cycle([256, 1024], i), 'time_cost': cycle([1, 2], i), 'threads': 1})
    return recipes


# ---------------------------------------------------------------------------------------------------------
# WordPress 6.8 `$wp$2y$` (through php_oracle.php: wp_hash_password / wp_check_password with the default
# filters, written from wp-includes/pluggable.php; WordPress itself is not installed). Verdicts are a login's:
# wp_authenticate() trim()s the typed password before wp_check_password, which itself does not trim, while
# wp_hash_password hashes trim($password). The whitespace probes below record both.

WP_SOURCE = 'WordPress 6.8 wp_hash_password'


def wordpress_recipes(php: Php) -> list[Recipe]:
    label = f'php {php.version}'

    def make(password: str, i: int) -> MakeResult:
        options = {} if i == DEFAULT_I else {'cost': 4}
        out = php.call({'op': 'wp_hash_password', 'password': password, 'options': options})
        if not isinstance(out, str) or not out.startswith('$wp$'):
            raise ValueError('wp_hash_password failed')
        return out, None, f'{WP_SOURCE} (php_oracle.php) {json.dumps(options) if options else "(default options: PHP bcrypt cost 10)"}'

    def verify(password: str, hashed: str, ctx: Optional[dict[str, Any]]) -> bool:
        return bool(php.call({'op': 'wp_login_check', 'password': password, 'hash': hashed}))

    return [Recipe('wordpress_bcrypt', 'php', label, make, verify, f'{label} wp_check_password after wp_authenticate\'s trim()')]


# (name, base password index, transform): what trim() does to a login, next to wp_check_password's own verdict.
WP_WHITESPACE_PROBES: list[tuple[str, int, Callable[[str], str]]] = [
    ('surrounding spaces', 0, lambda p: f'  {p} '),
    ('trailing tab and newline', 0, lambda p: p + '\t\n'),
    ('trailing NUL and vertical tab (in PHP\'s trim() set)', 4, lambda p: p + '\x00\x0b'),
    ('trailing no-break space U+00A0 (not in trim()\'s set)', 0, lambda p: p + '\u00a0'),
    ('leading ideographic space U+3000 (not in trim()\'s set)', 6, lambda p: '\u3000' + p),
]


def wordpress_extras(store: Store, php: Php) -> None:
    label = f'php {php.version}'
    login = lambda p, h: bool(php.call({'op': 'wp_login_check', 'password': p, 'hash': h}))  # noqa: E731
    direct = lambda p, h: php.call({'op': 'wp_check_password', 'password': p, 'hash': h})  # noqa: E731
    made = {v.password: v for v in store.by_id['wordpress_bcrypt'] if v.expected and v.source.startswith(label) and 'probe' not in v.source}
    for name, i, transform in WP_WHITESPACE_PROBES:
        base = made.get(PASSWORDS[i])
        if base is None:
            continue
        probe = transform(PASSWORDS[i])
        how = base.source.split(' [')[0]
        store.add(Vector('wordpress_bcrypt', probe, base.hash, login(probe, base.hash),
                         f'{how} [probe: {name}; verdict by {label} wp_check_password after wp_authenticate\'s trim(); '
                         f'wp_check_password alone: {str(direct(probe, base.hash)).lower()}]'))
    # A password stored with surrounding whitespace: wp_hash_password trimmed it, so only the trimmed text matches.
    padded = ' Straße\t'
    hashed = php.call({'op': 'wp_hash_password', 'password': padded, 'options': {'cost': 4}})
    how = f'{label} {WP_SOURCE} (php_oracle.php) {{"cost": 4}} of a password with surrounding whitespace'
    for password, what in [(padded, 'the password as set'), (padded.strip(' \t'), 'the password without its whitespace')]:
        store.add(Vector('wordpress_bcrypt', password, hashed, login(password, hashed),
                         f'{how} [{what}; verdict by {label} wp_check_password after wp_authenticate\'s trim(); '
                         f'wp_check_password alone: {str(direct(password, hashed)).lower()}]'))
    wrong = near_miss(padded.strip(' \t'))
    store.add(Vector('wordpress_bcrypt', wrong, hashed, login(wrong, hashed),
                     f'{how} [negative: first character changed; verdict by {label} wp_check_password after wp_authenticate\'s trim()]'))


# ---------------------------------------------------------------------------------------------------------
# Keycloak PBKDF2 credentials (through KeycloakOracle.java on the JDK: javax.crypto PBKDF2WithHmacSHA*, as
# Keycloak's Pbkdf2PasswordHashProvider; the credential JSON around the key is written here).

KEYCLOAK_ALGORITHMS = {'keycloak_pbkdf2': 'pbkdf2', 'keycloak_pbkdf2_sha256': 'pbkdf2-sha256', 'keycloak_pbkdf2_sha512': 'pbkdf2-sha512'}
KEYCLOAK_HASHLIB = {'pbkdf2': 'sha1', 'pbkdf2-sha256': 'sha256', 'pbkdf2-sha512': 'sha512'}


class Java:
    """One JVM running KeycloakOracle (compiled into a temporary directory); python hashlib if the JDK fails."""

    def __init__(self) -> None:
        self.proc: Optional[subprocess.Popen[str]] = None
        self.tmp = tempfile.TemporaryDirectory(prefix='keycloak-oracle-')
        try:
            run(['javac', '-d', self.tmp.name, str(JAVA_HELPER)])
            self.proc = subprocess.Popen(['java', '-cp', self.tmp.name, 'KeycloakOracle'], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         text=True, encoding='utf-8')
            self.label = f'JDK {self.call("version")} javax.crypto (KeycloakOracle.java)'
        except Exception as error:  # noqa: BLE001 (fall back, and say so in every line's provenance)
            print(f'JDK oracle unavailable ({type(error).__name__}: {error}); falling back to python hashlib', file=sys.stderr)
            self.close()
            self.label = f'python hashlib {sys.version.split()[0]} (fallback: the JDK oracle failed)'

    def call(self, *fields: str) -> str:
        assert self.proc and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write('\t'.join(fields) + '\n')
        self.proc.stdin.flush()
        status, _, result = self.proc.stdout.readline().rstrip('\n').partition('\t')
        if status != 'ok':
            raise ValueError(f'KeycloakOracle: {result}')
        return result

    def derive(self, algorithm: str, iterations: int, key_bits: int, salt: bytes, password: str) -> str:
        if self.proc is None:
            return base64.b64encode(hashlib.pbkdf2_hmac(KEYCLOAK_HASHLIB[algorithm], password.encode(), salt, iterations, key_bits // 8)).decode()
        b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
        return self.call('derive', algorithm, str(iterations), str(key_bits), b64(salt), b64(password.encode()))

    def verify(self, algorithm: str, iterations: int, salt: bytes, value: str, password: str) -> bool:
        """Keycloak's verify: re-derive as many bits as the stored value has, compare the base64 strings."""
        if self.proc is None:
            return self.derive(algorithm, iterations, len(base64.b64decode(value)) * 8, salt, password) == value
        b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
        return self.call('verify', algorithm, str(iterations), b64(salt), value, b64(password.encode())) == 'true'

    def close(self) -> None:
        if self.proc and self.proc.stdin:
            self.proc.stdin.close()
            self.proc.wait()
        self.proc = None


def keycloak_credential(algorithm: str, iterations: int, salt: bytes, value: str, layout: str) -> str:
    """Keycloak's PasswordCredentialModel JSON (Jackson's compact output, salt as base64)."""
    secret = {'value': value, 'salt': base64.b64encode(salt).decode(), 'additionalParameters': {}}
    data = {'hashIterations': iterations, 'algorithm': algorithm, 'additionalParameters': {}}
    compact = lambda o: json.dumps(o, separators=(',', ':'))  # noqa: E731
    if layout == 'export':  # realm export / Admin API CredentialRepresentation: both documents as JSON strings
        return compact({'type': 'password', 'secretData': compact(secret), 'credentialData': compact(data)})
    return compact({'secretData': secret, 'credentialData': data})  # the two documents as nested objects


def keycloak_parse(hashed: str) -> tuple[str, int, bytes, str]:
    top = json.loads(hashed)
    secret, data = top['secretData'], top['credentialData']
    secret = json.loads(secret) if isinstance(secret, str) else secret
    data = json.loads(data) if isinstance(data, str) else data
    return data['algorithm'], int(data['hashIterations']), base64.b64decode(secret['salt']), secret['value']


# Keycloak's defaults: 512-bit keys (Pbkdf2PasswordHashProvider.DEFAULT_DERIVED_KEY_SIZE) and 16-byte salts;
# pbkdf2-sha256 derives 256 bits since Keycloak moved it to 600 000 iterations, Keycloak 2.x's pbkdf2-sha512
# provider 1024. DEFAULT_I gets each provider's default iteration count.
KEYCLOAK_SETTINGS: dict[str, Callable[[int], tuple[int, int]]] = {
    'keycloak_pbkdf2': lambda i: (20000, 512) if i == DEFAULT_I else (1000, 512),
    'keycloak_pbkdf2_sha256': lambda i: (600000, 256) if i == DEFAULT_I else (cycle([1000, 27500], i // 4), cycle([512, 256], i)),
    'keycloak_pbkdf2_sha512': lambda i: (210000, 512) if i == DEFAULT_I else (1000, cycle([512, 512, 1024], i)),
}


def keycloak_recipes(java: Java) -> list[Recipe]:
    recipes = []
    for scheme_id, algorithm in KEYCLOAK_ALGORITHMS.items():
        def make(password: str, i: int, scheme_id: str = scheme_id, algorithm: str = algorithm) -> MakeResult:
            iterations, bits = KEYCLOAK_SETTINGS[scheme_id](i)
            salt = raw(rng_for('keycloak', scheme_id, i), 16)
            value = java.derive(algorithm, iterations, bits, salt, password)
            layout = 'objects' if i % 3 == 2 else 'export'
            shown = 'secretData/credentialData as JSON strings (realm export)' if layout == 'export' else 'secretData/credentialData as nested objects'
            return (keycloak_credential(algorithm, iterations, salt, value, layout), None,
                    f'"{algorithm}" hashIterations={iterations}, {bits}-bit key, fixed 16-byte salt; {shown}')

        def verify(password: str, hashed: str, ctx: Optional[dict[str, Any]]) -> bool:
            algorithm_, iterations, salt, value = keycloak_parse(hashed)
            return java.verify(algorithm_, iterations, salt, value, password)

        recipes.append(Recipe(scheme_id, 'jdk', java.label, make, verify, f"{java.label} (Keycloak's verify: same key size, base64 compared)"))
    return recipes


# ---------------------------------------------------------------------------------------------------------
# hashcat (Debian's hashcat on pocl's CPU OpenCL) as the verifier of formats no other implementation here
# knows. It cannot make hashes: PostgreSQL's own client library makes the SCRAM verifiers; the pre-hashed
# bcrypt strings are PHP crypt() over a digest computed here (the string is constructed here, hashcat's
# module decides). One hashcat run per mode checks every (hash, candidate) pair with --keep-guessing. hashcat
# hashes the candidate's bytes as they are (no SASLprep, no Unicode handling).

HASHCAT_LABEL = f'hashcat {dpkg_version("hashcat")} (pocl {dpkg_version("pocl-opencl-icd")})'


def hashcat_accepts(mode: int, pairs: list[tuple[str, str]]) -> tuple[set[tuple[str, str]], set[str]]:
    """The (hash, password) pairs hashcat -m mode accepts, and the hashes it cracked at all."""
    hashes = sorted({h for h, _ in pairs})
    candidates = sorted({pw for _, pw in pairs})
    with tempfile.TemporaryDirectory(prefix='hashcat-oracle-') as tmp:
        hash_file, words, out = Path(tmp, 'hashes'), Path(tmp, 'words'), Path(tmp, 'out')
        hash_file.write_text(''.join(h + '\n' for h in hashes), encoding='utf-8')
        words.write_text(''.join(f'$HEX[{pw.encode().hex()}]\n' for pw in candidates), encoding='ascii')
        run(['hashcat', '-m', str(mode), '-a', '0', '--potfile-disable', '--keep-guessing', '--quiet', '--session', f'vectors{mode}',
             '--outfile', str(out), '--outfile-format', '1,3', str(hash_file), str(words)], check=False)
        lines = out.read_text(encoding='utf-8').splitlines() if out.exists() else []
    by_lower = {h.lower(): h for h in hashes}
    cracked: set[tuple[str, str]] = set()
    for line in lines:
        hashed, _, hex_plain = line.rpartition(':')
        original = by_lower.get(hashed.lower())
        if original is None:
            raise ValueError(f'hashcat -m {mode} printed a hash it was not given: {hashed}')
        cracked.add((original, bytes.fromhex(hex_plain).decode('utf-8')))
    return {pair for pair in pairs if pair in cracked}, {h for h, _ in cracked}


class Libpq:
    """PostgreSQL's client library: PQencryptPasswordConn(conn, password, user, "scram-sha-256") is what psql's
    \\password and the drivers run. It wants a PGconn only for its error messages: a failed one will do."""

    def __init__(self) -> None:
        import ctypes
        self.ctypes = ctypes
        self.lib = ctypes.CDLL('libpq.so.5')
        self.lib.PQconnectdb.restype = ctypes.c_void_p
        self.lib.PQconnectdb.argtypes = [ctypes.c_char_p]
        self.lib.PQencryptPasswordConn.restype = ctypes.c_void_p
        self.lib.PQencryptPasswordConn.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
        self.lib.PQfreemem.argtypes = [ctypes.c_void_p]
        self.lib.PQfinish.argtypes = [ctypes.c_void_p]
        self.conn = self.lib.PQconnectdb(b'host=/nonexistent-legacy-idp-vectors port=1 connect_timeout=1')
        self.label = f'libpq {dpkg_version("libpq5")} PQencryptPasswordConn'

    def scram(self, password: str, user: str) -> str:
        out = self.lib.PQencryptPasswordConn(self.conn, password.encode(), user.encode(), b'scram-sha-256')
        if not out:
            raise ValueError('PQencryptPasswordConn failed')
        try:
            return self.ctypes.string_at(out).decode()
        finally:
            self.lib.PQfreemem(out)

    def close(self) -> None:
        self.lib.PQfinish(self.conn)


# SASLprep (RFC 4013), which libpq applies before hashing (and PostgreSQL's server when it verifies): the hash
# of the first text is the hash of the second. hashcat, which hashes bytes, shows it.
SASLPREP_CASES = [
    ('soft hyphen, mapped to nothing', 'pass\u00adword', 'password'),
    ('no-break space, mapped to a space', 'correct\u00a0horse', 'correct horse'),
    ('ligature U+FB01, NFKC', '\ufb01le', 'file'),
    ('fullwidth letters, NFKC', '\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44', 'password'),
]


@dataclass
class HashcatHash:
    password: str
    hash: str
    how: str  # made by the owner, or how the string was constructed here (never a salt or a password)
    context: Optional[dict[str, Any]] = None
    line: str = ''  # the hash as hashcat's module reads it (default: the hash itself)

    def __post_init__(self) -> None:
        self.line = self.line or self.hash


@dataclass
class HashcatJob:
    id: str
    mode: int
    positives: list[HashcatHash]  # the fixed password list first, in order
    owner_made: bool  # True: the positives are the owner's own output, hashcat only confirms them
    extra: list[HashcatHash] = field(default_factory=list)  # probe lines: other passwords for some positives' hashes
    # The module widens each byte to UTF-16 where the product hashes UTF-16LE text: ASCII passwords only, and
    # the wrong-password lines are built on ASCII bases (0 and 2 instead of 0 and 3).
    ascii_only: bool = False


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def sha1_hex(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


# Salted forum and shop digests, as hashcat's modules define them (hex digests, UTF-8 bytes): id, mode,
# salt maker, digest, where the salt goes (None: "hash:salt" is the stored string itself, else the context key).
SALTED_DIGESTS: list[tuple[str, int, Callable[[random.Random], str], Callable[[str, str], str], Optional[str], str]] = [
    ('joomla_md5_salt', 11, lambda r: alnum(r, 32), lambda pw, salt: md5_hex(pw + salt), None, 'md5($pass.$salt)'),
    # osCommerce's tep_encrypt_password takes two hex characters of an md5 as the salt.
    ('oscommerce_md5_salt', 21, lambda r: ''.join(r.choice('0123456789abcdef') for _ in range(2)), lambda pw, salt: md5_hex(salt + pw), None,
     'md5($salt.$pass)'),
    ('vbulletin_md5', 2611, lambda r: alnum(r, 3), lambda pw, salt: md5_hex(md5_hex(pw) + salt), 'salt', 'md5(md5($pass).$salt)'),
    ('ipb_mybb_md5', 2811, lambda r: alnum(r, 5), lambda pw, salt: md5_hex(md5_hex(salt) + md5_hex(pw)), 'salt', 'md5(md5($salt).md5($pass))'),
    ('prestashop_md5', 11000, lambda r: alnum(r, 56), lambda pw, salt: md5_hex(salt + pw), 'cookieKey', 'md5($cookieKey.$pass)'),
    ('opencart_sha1', 13900, lambda r: alnum(r, 9), lambda pw, salt: sha1_hex(salt + sha1_hex(salt + sha1_hex(pw))), 'salt',
     'sha1($salt.sha1($salt.sha1($pass)))'),
    ('redmine_sha1', 4521, lambda r: ''.join(r.choice('0123456789abcdef') for _ in range(32)), lambda pw, salt: sha1_hex(salt + sha1_hex(pw)),
     'salt', 'sha1($salt.sha1($pass))'),
    ('punbb_sha1', 4522, lambda r: alnum(r, 12), lambda pw, salt: sha1_hex(salt + sha1_hex(pw)), 'salt', 'sha1($salt.sha1($pass))'),
]


# Formats whose strings are constructed here from hashcat's module formula (hashcat decides every line). Each
# job: the fixed password list (ASCII only where the module widens bytes to UTF-16), fixed salts, low costs.
CISCO_B64 = str.maketrans('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
                          './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')
CRYPT64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

# (id, password, hash) lines left out because this library's verdict differs from hashcat's: reported to the
# scheme owner instead (src/ is not this script's to change). The value is the reason, printed as skipped.
HASHCAT_EXCLUDED: dict[tuple[str, str, str], str] = {}


def cisco_b64(data: bytes) -> str:
    """Cisco's base64: the standard big-endian encoding, unpadded, mapped onto the crypt alphabet."""
    return base64.b64encode(data).decode().rstrip('=').translate(CISCO_B64)


def aix_b64(data: bytes) -> str:
    """AIX's base64 (hashcat's module_06x00): 3-byte groups read big-endian, written low 6 bits first, a short
    final group zero-padded and written with one character more than its byte count."""
    out = []
    for i in range(0, len(data), 3):
        chunk = data[i:i + 3]
        value = int.from_bytes(chunk.ljust(3, b'\0'), 'big')
        for _ in range(len(chunk) + 1):
            out.append(CRYPT64[value & 63])
            value >>= 6
    return ''.join(out)


def phpass_b64(data: bytes, count: int) -> str:
    """phpass' _password_base64_encode (Drupal's copy): little-endian groups, low 6 bits first."""
    out, i = [], 0
    while len(out) < count and i < len(data):
        chunk = data[i:i + 3]
        value = int.from_bytes(chunk, 'little')
        for _ in range(len(chunk) + 1):
            out.append(CRYPT64[value & 63])
            value >>= 6
        i += 3
    return ''.join(out)[:count]


def drupal7_hash(password: str, log2: int, salt: str) -> str:
    pw = password.encode()
    h = hashlib.sha512(salt.encode() + pw).digest()
    for _ in range(1 << log2):
        h = hashlib.sha512(h + pw).digest()
    return f'$S${CRYPT64[log2]}{salt}' + phpass_b64(h, 43)


def rails_restful(password: str, salt: str, site_key: str, stretches: int) -> str:
    digest = site_key
    for _ in range(stretches):
        digest = sha1_hex('--'.join([digest, salt, password, site_key]))
    return digest


def constructed_hashcat_jobs(want: Callable[[str], bool]) -> list[HashcatJob]:
    jobs: list[HashcatJob] = []
    here = 'string constructed here: '

    def job(sid: str, mode: int, make: Callable[[int, str, random.Random], HashcatHash], ascii_only: bool = False) -> None:
        if want(sid):
            positives = [make(i, pw, rng_for('hashcat', sid, i)) for i, pw in enumerate(PASSWORDS) if not ascii_only or is_ascii(pw)]
            jobs.append(HashcatJob(sid, mode, positives, False, ascii_only=ascii_only))

    for sid, mode, algorithm in [('aix_ssha1', 6700, 'sha1'), ('aix_ssha256', 6400, 'sha256'), ('aix_ssha512', 6500, 'sha512')]:
        def aix(i: int, pw: str, r: random.Random, algorithm: str = algorithm, sid: str = sid) -> HashcatHash:
            log2 = cycle([6, 7, 8], i)
            salt = h64(r, cycle([16, 24], i))
            key = hashlib.pbkdf2_hmac(algorithm, pw.encode(), salt.encode(), 1 << log2)
            return HashcatHash(pw, f'{{{sid[4:]}}}{log2:02d}${salt}${aix_b64(key)}',
                               f'{here}PBKDF2-HMAC-{algorithm.upper()} (2^NN iterations, NN 06-08) over the UTF-8 password, salt text, '
                               'AIX base64 (Python hashlib), fixed salt')
        job(sid, mode, aix)
    job('cisco_type4', 5700, lambda i, pw, r: HashcatHash(
        pw, cisco_b64(hashlib.sha256(pw.encode()).digest()), f'{here}SHA-256 of the UTF-8 password in Cisco base64 (Python hashlib)'))

    def cisco8(i: int, pw: str, r: random.Random) -> HashcatHash:
        salt = h64(r, 14)
        key = hashlib.pbkdf2_hmac('sha256', pw.encode(), salt.encode(), 20000)
        return HashcatHash(pw, f'$8${salt}${cisco_b64(key)}', f'{here}PBKDF2-HMAC-SHA256, 20000 iterations, salt text, Cisco base64 (Python hashlib), fixed salt')
    job('cisco_type8', 9200, cisco8)

    def cisco9(i: int, pw: str, r: random.Random) -> HashcatHash:
        salt = h64(r, 14)
        key = hashlib.scrypt(pw.encode(), salt=salt.encode(), n=16384, r=1, p=1, dklen=32)
        return HashcatHash(pw, f'$9${salt}${cisco_b64(key)}', f'{here}scrypt N=16384 r=1 p=1, salt text, Cisco base64 (Python hashlib), fixed salt')
    job('cisco_type9', 9300, cisco9)

    job('drupal7', 7900, lambda i, pw, r: HashcatHash(
        pw, drupal7_hash(pw, cycle([7, 9, 14], i), h64(r, 8)),
        f'{here}Drupal 7 _password_crypt (SHA-512, 2^7/2^9/2^14 rounds, UTF-8 password, phpass base64, 55 characters; Python hashlib), fixed salt'))

    def mediawiki(i: int, pw: str, r: random.Random) -> HashcatHash:
        salt = ''.join(r.choice('0123456789abcdef') for _ in range(8))
        hexdigest = md5_hex(f'{salt}-{md5_hex(pw)}')
        return HashcatHash(pw, f':B:{salt}:{hexdigest}', f'{here}md5($salt."-".md5($pass)) over the UTF-8 password, fixed salt '
                           '(hashcat reads it as $B$salt$hash)', line=f'$B${salt}${hexdigest}')
    job('mediawiki_b', 3711, mediawiki)

    def ds389(i: int, pw: str, r: random.Random) -> HashcatHash:
        iterations = cycle([1000, 8192], i)
        salt = raw(r, 64)
        key = hashlib.pbkdf2_hmac('sha256', pw.encode(), salt, iterations, 256)
        blob = iterations.to_bytes(4, 'big') + salt + key
        return HashcatHash(pw, '{PBKDF2_SHA256}' + base64.b64encode(blob).decode(),
                           f'{here}389-ds pbkdf2_pwd.c layout: uint32 BE iterations (1000/8192) + 64-byte salt + PBKDF2-HMAC-SHA256 256-byte key '
                           'of the UTF-8 password (Python hashlib), fixed salt')
    job('ds389_pbkdf2_sha256', 10901, ds389)

    def web2py(i: int, pw: str, r: random.Random) -> HashcatHash:
        salt = ''.join(r.choice('0123456789abcdef') for _ in range(16))
        key = hashlib.pbkdf2_hmac('sha512', pw.encode(), salt.encode(), 1000, 20)
        return HashcatHash(pw, f'pbkdf2(1000,20,sha512)${salt}${key.hex()}',
                           f'{here}web2py CRYPT pbkdf2(1000,20,sha512): PBKDF2-HMAC-SHA512 of the UTF-8 password, salt text (Python hashlib), fixed salt')
    job('web2py_pbkdf2', 21600, web2py)

    def rails(i: int, pw: str, r: random.Random) -> HashcatHash:
        salt = ''.join(r.choice('0123456789abcdef') for _ in range(40))
        site_key = ''.join(r.choice('0123456789abcdef') for _ in range(40))
        hexdigest = rails_restful(pw, salt, site_key, 10)
        return HashcatHash(pw, hexdigest, f'{here}10 stretches of sha1(digest--salt--pass--site_key) over the UTF-8 password, '
                           'salt and site key in context (fixed)', {'salt': salt, 'siteKey': site_key, 'stretches': 10},
                           f'{hexdigest}:{salt}:{site_key}')
    job('rails_restful_auth', 19500, rails)

    for sid, mode, algorithm, version in [('aspnet_membership_sha1', 141, 'sha1', 0), ('aspnet_membership_sha256', 1441, 'sha256', 1)]:
        def membership(i: int, pw: str, r: random.Random, algorithm: str = algorithm, version: int = version) -> HashcatHash:
            salt = raw(r, 16)
            value = base64.b64encode(hashlib.new(algorithm, salt + pw.encode('utf-16-le')).digest()).decode()
            salt64 = base64.b64encode(salt).decode()
            return HashcatHash(pw, value, f'{here}base64({algorithm.upper()}(salt + UTF-16LE password)), 16-byte salt in context '
                               f'(fixed); ASCII only: hashcat\'s Episerver module widens bytes',
                               {'salt': salt64, 'algorithm': algorithm.upper(), 'passwordFormat': 1},
                               f'$episerver$*{version}*{salt64}*{value.rstrip("=")}')
        job(sid, mode, membership, ascii_only=True)

    def mssql(i: int, pw: str, r: random.Random) -> HashcatHash:
        salt = raw(r, 4)
        return HashcatHash(pw, '0x0200' + (salt + hashlib.sha512(pw.encode('utf-16-le') + salt).digest()).hex().upper(),
                           f'{here}0x0200 + salt + SHA-512(UTF-16LE password + salt), fixed 4-byte salt; ASCII only: hashcat widens bytes')
    job('mssql2012', 1731, mssql, ascii_only=True)
    return jobs


def hashcat_jobs(php: Php, only: Optional[set[str]]) -> list[HashcatJob]:
    jobs: list[HashcatJob] = []
    want = lambda sid: not only or sid in only  # noqa: E731
    if want('postgres_scram_sha256'):
        libpq = Libpq()
        positives = []
        for i, pw in enumerate(PASSWORDS):
            user = cycle(USERS, i)
            positives.append(HashcatHash(pw, libpq.scram(pw, user), f'{libpq.label}(conn, password, "{user}", "scram-sha-256") (random salt)'))
        extra = []
        for name, typed, mapped in SASLPREP_CASES:
            how = f'{libpq.label}(conn, password, "alice", "scram-sha-256") (random salt)'
            hashed = libpq.scram(typed, 'alice')
            positives.append(HashcatHash(typed, hashed, how))
            extra.append(HashcatHash(mapped, hashed, f'{how} [probe: SASLprep, {name}]'))
            extra.append(HashcatHash(near_miss(mapped), hashed, f'{how} [negative: SASLprep case, first character changed]'))
        libpq.close()
        jobs.append(HashcatJob('postgres_scram_sha256', 28600, positives, True, extra))
    for sid, mode, algorithm in [('bcrypt_md5', 25600, 'md5'), ('bcrypt_sha1', 25800, 'sha1'), ('bcrypt_sha512_hex', 28400, 'sha512')]:
        if not want(sid):
            continue
        positives = []
        for i, pw in enumerate(PASSWORDS):
            ident = cycle(['2a', '2b', '2y'], i)
            setting = f'${ident}$05${bcrypt_salt(rng_for("hashcat", sid, i))}'
            out = php.call({'op': 'crypt', 'password': getattr(hashlib, algorithm)(pw.encode()).hexdigest(), 'salt': setting})
            positives.append(HashcatHash(pw, out, f'string constructed here: php {php.version} crypt() with a fixed ${ident}$05$ setting over the '
                                                   f'lower-case hex {algorithm} of the UTF-8 password'))
        jobs.append(HashcatJob(sid, mode, positives, False))
    for sid, mode, make_salt, digest_of, salt_key, formula in SALTED_DIGESTS:
        if not want(sid):
            continue
        positives = []
        for i, pw in enumerate(PASSWORDS):
            salt = make_salt(rng_for('hashcat', sid, i))
            hexdigest = digest_of(pw, salt)
            how = f'string constructed here: {formula} over the UTF-8 password, hex digests, fixed salt'
            if salt_key is None:
                positives.append(HashcatHash(pw, f'{hexdigest}:{salt}', how))
            else:
                positives.append(HashcatHash(pw, hexdigest, how + f' in context.{salt_key}', {salt_key: salt}, f'{hexdigest}:{salt}'))
        jobs.append(HashcatJob(sid, mode, positives, False))
    jobs += constructed_hashcat_jobs(want)
    if want('smf_sha1'):
        positives = []
        for i, pw in enumerate(PASSWORDS):
            user = cycle(USERS, i)
            positives.append(HashcatHash(pw, sha1_hex(user.lower() + pw), 'string constructed here: sha1(strtolower($username).$pass) over UTF-8, '
                                         'user in context.user', {'user': user}, f'{sha1_hex(user.lower() + pw)}:{user}'))
        jobs.append(HashcatJob('smf_sha1', 121, positives, False))
    return jobs


def hashcat_vectors(store: Store, php: Php, only: Optional[set[str]]) -> None:
    for job in hashcat_jobs(php, only):
        verdict_how = f'{HASHCAT_LABEL} -m {job.mode}'
        made = {h.password: h for h in job.positives if h.password in PASSWORDS}
        wrong: list[HashcatHash] = []

        def variant(base: HashcatHash, password: str, note: str) -> HashcatHash:
            return HashcatHash(password, base.hash, f'{base.how} [{note}; verdict by {verdict_how}]', base.context, base.line)

        for i in ((0, 2) if job.ascii_only else (0, 3)):
            wrong.append(variant(made[PASSWORDS[i]], near_miss(PASSWORDS[i]), 'negative: first character changed'))
        for name, i, transform in PROBES:
            if PASSWORDS[i] in made:
                wrong.append(variant(made[PASSWORDS[i]], transform(PASSWORDS[i]), f'probe: {name}'))
        wrong += [HashcatHash(e.password, e.hash, f'{e.how[:-1]}; verdict by {verdict_how}]', e.context, e.line) for e in job.extra]
        accepted, handled = hashcat_accepts(job.mode, [(h.line, h.password) for h in job.positives + wrong])
        for h in job.positives + wrong:
            reason = HASHCAT_EXCLUDED.get((job.id, h.password, h.hash))
            if reason:
                store.skipped[f'{job.id} / {verdict_how}: left out, {reason}'] += 1
        keep = lambda h: (job.id, h.password, h.hash) not in HASHCAT_EXCLUDED  # noqa: E731
        wrong = [h for h in wrong if keep(h)]
        for h in [h for h in job.positives if keep(h)]:
            ok = (h.line, h.password) in accepted
            if job.owner_made:
                # The owner's own hash: true. hashcat's verdict is recorded (it differs where the owner SASLpreps).
                store.add(Vector(job.id, h.password, h.hash, True, f'{h.how}; {verdict_how}: {"accepts" if ok else "refuses the raw bytes"}', h.context))
            elif ok:
                store.add(Vector(job.id, h.password, h.hash, True, f'{h.how}; verdict by {verdict_how}', h.context))
            else:
                store.skipped[f'{job.id} / {verdict_how}: a constructed positive was refused (construction differs from hashcat)'] += 1
        for h in wrong:
            if h.line not in handled:
                store.skipped[f'{job.id} / {verdict_how}: hashcat cracked nothing of this hash, no verdict'] += 1
                continue
            store.add(Vector(job.id, h.password, h.hash, (h.line, h.password) in accepted, h.how, h.context))

# ---------------------------------------------------------------------------------------------------------
# Apache htpasswd

HTPASSWD_LABEL = f'htpasswd (apache2-utils {dpkg_version("apache2-utils")})'


def htpasswd_verify(password: str, hashed: str, ctx: Optional[dict[str, Any]]) -> bool:
    with tempfile.NamedTemporaryFile('w', suffix='.htpasswd', delete=False) as f:
        f.write(f'u:{hashed}\n')
        path = f.name
    try:
        return run(['htpasswd', '-vb', path, 'u', password], check=False).returncode == 0
    finally:
        os.unlink(path)


def htpasswd_recipes() -> list[Recipe]:
    def recipe(scheme_id: str, flags: Callable[[int], list[str]], **extra: Any) -> Recipe:
        def make(password: str, i: int) -> MakeResult:
            args = flags(i)
            out = run(['htpasswd', '-nb', *args, 'u', password]).stdout.decode().strip()
            user, _, hashed = out.partition(':')
            assert user == 'u' and hashed
            return hashed, None, f'-nb {" ".join(args)}'
        return Recipe(scheme_id, 'htpasswd', HTPASSWD_LABEL, make, htpasswd_verify, f'{HTPASSWD_LABEL} -vb', **extra)

    return [
        recipe('apr_md5_crypt', lambda i: ['-m']),
        recipe('bcrypt', lambda i: ['-B'] if i == DEFAULT_I else ['-B', '-C', '4']),  # DEFAULT_I: htpasswd's default cost 5
        recipe('des_crypt', lambda i: ['-d']),
        recipe('sha256_crypt', lambda i: ['-2'] if i % 2 == 0 else ['-2', '-r', '1000']),
        recipe('sha512_crypt', lambda i: ['-5'] if i % 2 == 0 else ['-5', '-r', '1000']),
        recipe('ldap_sha1', lambda i: ['-s']),
    ]


# ---------------------------------------------------------------------------------------------------------
# mkpasswd (whois) on libxcrypt; verification through libxcrypt's crypt() (Python's crypt module)

import crypt as libcrypt  # noqa: E402  (deprecated, still in Debian's 3.11; it is libxcrypt's crypt())

MKPASSWD_LABEL = f'mkpasswd {dpkg_version("whois")} (libxcrypt {dpkg_version("libcrypt1")})'
LIBXCRYPT_LABEL = f'libxcrypt {dpkg_version("libcrypt1")} crypt()'


def libxcrypt_verify(password: str, hashed: str, ctx: Optional[dict[str, Any]] = None) -> bool:
    out = libcrypt.crypt(password, hashed)
    return out is not None and out == hashed


def mkpasswd_recipes() -> list[Recipe]:
    def recipe(scheme_id: str, method: str, args: Callable[[random.Random, int], list[str]], **extra: Any) -> Recipe:
        def make(password: str, i: int) -> MakeResult:
            a = args(rng_for('mkpasswd', scheme_id, i), i)
            out = run(['mkpasswd', '--stdin', '-m', method, *a], stdin=password.encode()).stdout.decode().strip()
            if not out or out.startswith('*'):
                raise ValueError('mkpasswd failed')
            shown = ' '.join('-S fixed' if a[k] == '-S' else ('' if k > 0 and a[k - 1] == '-S' else a[k]) for k in range(len(a))).split()
            return out, None, f'--stdin -m {method} {" ".join(shown)}'.rstrip()
        return Recipe(scheme_id, 'libxcrypt', MKPASSWD_LABEL, make, libxcrypt_verify, LIBXCRYPT_LABEL, **extra)

    return [
        recipe('des_crypt', 'descrypt', lambda r, i: ['-S', h64(r, 2)]),
        recipe('md5_crypt', 'md5crypt', lambda r, i: ['-S', h64(r, 8)]),
        recipe('sha256_crypt', 'sha256crypt', lambda r, i: ['-S', h64(r, 16)] + ([] if i % 2 == 0 else ['-R', '1000'])),
        recipe('sha512_crypt', 'sha512crypt', lambda r, i: ['-S', h64(r, 16)] + ([] if i % 2 == 0 else ['-R', '1000'])),
        recipe('bcrypt', 'bcrypt', lambda r, i: ['-S', bcrypt_salt(r), '-R', '5']),
        recipe('bcrypt', 'bcrypt-a', lambda r, i: ['-S', bcrypt_salt(r), '-R', '5'], indices=[0, 3, 5, 8]),
        recipe('sun_md5_crypt', 'sunmd5', lambda r, i: ['-S', h64(r, 8)]),
        # mkpasswd -S is refused for bsdicrypt ("Wrong salt length"), so these salts are random.
        recipe('bsdi_crypt', 'bsdicrypt', lambda r, i: [] if i % 2 == 0 else ['-R', '725']),
        # finding 1: libxcrypt widens each byte, so non-ASCII here is the FreeBSD-compatible truth.
        recipe('bsd_nthash', 'nt', lambda r, i: []),
        recipe('yescrypt', 'yescrypt', lambda r, i: ['-R', str(cycle([1, 3], i))] if i not in (DEFAULT_I, 4) else []),
        recipe('gost_yescrypt', 'gost-yescrypt', lambda r, i: ['-R', '1'] if i != DEFAULT_I else []),
        recipe('scrypt_crypt7', 'scrypt', lambda r, i: ['-R', '6'] if i != DEFAULT_I else []),
    ]


# ---------------------------------------------------------------------------------------------------------
# openssl passwd

OPENSSL_LABEL = 'openssl passwd ' + run(['openssl', 'version']).stdout.decode().split()[1]


def openssl_recipes() -> list[Recipe]:
    def recipe(scheme_id: str, flag: str, salt: Callable[[random.Random, int], str], prefix: str = '') -> Recipe:
        def make(password: str, i: int) -> MakeResult:
            s = salt(rng_for('openssl', scheme_id, i), i)
            out = run(['openssl', 'passwd', flag, '-salt', s, password]).stdout.decode().strip()
            if not out or out == '<NULL>':
                raise ValueError('openssl refused')
            how = f'{flag} -salt fixed' + (' (rounds=1000)' if s.startswith('rounds=') else '')
            return prefix + out, None, how + (f', stored with the {prefix} prefix AIX uses' if prefix else '')

        def verify(password: str, hashed: str, ctx: Optional[dict[str, Any]]) -> bool:
            body = hashed[len(prefix):]
            if flag == '-aixmd5':
                s = body.split('$')[0]
            else:
                parts = body.split('$')
                s = '$'.join(parts[2:-1])
            out = run(['openssl', 'passwd', flag, '-salt', s, password]).stdout.decode().strip()
            return prefix + out == hashed

        return Recipe(scheme_id, 'openssl', OPENSSL_LABEL, make, verify, f'{OPENSSL_LABEL} (recomputed with the stored salt)', accepts=bool)

    return [
        recipe('md5_crypt', '-1', lambda r, i: h64(r, 8)),
        recipe('apr_md5_crypt', '-apr1', lambda r, i: h64(r, 8)),
        recipe('sha256_crypt', '-5', lambda r, i: (('rounds=1000$' if i % 2 else '') + h64(r, 16))),
        recipe('sha512_crypt', '-6', lambda r, i: (('rounds=1000$' if i % 2 else '') + h64(r, 16))),
        recipe('aix_smd5', '-aixmd5', lambda r, i: h64(r, 8), prefix='{smd5}'),
    ]


# ---------------------------------------------------------------------------------------------------------
# argon2 reference CLI and argon2-cffi

ARGON2_CLI_LABEL = f'argon2 CLI {dpkg_version("argon2")}'


def argon2_cli(password: str, salt: str, kind: str, t: int, kib: int, p: int, version: int, length: int = 32) -> str:
    out = run(['argon2', salt, f'-{kind}', '-t', str(t), '-k', str(kib), '-p', str(p), '-v', str(version), '-l', str(length), '-e'],
              stdin=password.encode()).stdout.decode().strip()
    if not out.startswith('$argon2'):
        raise ValueError('argon2 CLI failed')
    return out


PHC = re.compile(r'^\$(argon2(?:id|i|d))\$(?:v=(\d+)\$)?m=(\d+),t=(\d+),p=(\d+)\$([^$]*)\$([^$]*)$')


def b64decode_loose(text: str) -> bytes:
    return base64.b64decode(text + '=' * (-len(text) % 4))


def argon2_recipes() -> list[Recipe]:
    import argon2 as a2
    from argon2 import low_level

    cffi_label = f'argon2-cffi {a2.__version__}'
    types = {'argon2i': low_level.Type.I, 'argon2d': low_level.Type.D, 'argon2id': low_level.Type.ID}
    recipes: list[Recipe] = []

    for scheme_id, kind in [('argon2i', 'i'), ('argon2d', 'd'), ('argon2id', 'id')]:
        def cli_make(password: str, i: int, kind: str = kind, scheme_id: str = scheme_id) -> MakeResult:
            r = rng_for('argon2cli', scheme_id, i)
            salt = alnum(r, 16)
            if i == DEFAULT_I:  # the CLI's defaults: t=3, m=4096 KiB, p=1, v=19
                out = run(['argon2', salt, f'-{kind}', '-e'], stdin=password.encode()).stdout.decode().strip()
                return out, None, f'-{kind} -e (defaults), fixed salt, password on stdin'
            t, kib, p, v = cycle([1, 2, 3], i), cycle([64, 256, 1024], i // 2), cycle([1, 2], i), cycle([13, 13, 10], i)
            return argon2_cli(password, salt, kind, t, kib, p, v), None, f'-{kind} -t {t} -k {kib} -p {p} -v {v} -l 32 -e, fixed salt, password on stdin'

        def cli_verify(password: str, hashed: str, ctx: Optional[dict[str, Any]], kind: str = kind) -> bool:
            m = PHC.match(hashed)
            assert m
            version = 10 if m.group(2) in (None, '16') else 13
            salt = b64decode_loose(m.group(6)).decode()
            length = len(b64decode_loose(m.group(7)))
            return argon2_cli(password, salt, kind, int(m.group(4)), int(m.group(3)), int(m.group(5)), version, length) == hashed

        # The CLI reads the password from stdin and refuses an empty one.
        recipes.append(Recipe(scheme_id, 'argon2-cli', ARGON2_CLI_LABEL, cli_make, cli_verify, f'{ARGON2_CLI_LABEL} (recomputed)', accepts=bool))

        def cffi_make(password: str, i: int, scheme_id: str = scheme_id) -> MakeResult:
            r = rng_for('argon2cffi', scheme_id, i)
            if i == DEFAULT_I:
                hasher = a2.PasswordHasher(type=types[scheme_id])
                return hasher.hash(password), None, 'PasswordHasher(type=...).hash (library defaults)'
            t, kib, p, v = cycle([1, 2], i), cycle([128, 512, 1024], i), cycle([1, 2, 4], i // 2), cycle([0x13, 0x10], i // 3)
            length = cycle([32, 16], i)
            out = low_level.hash_secret(password.encode(), raw(r, 16), time_cost=t, memory_cost=kib, parallelism=p, hash_len=length,
                                        type=types[scheme_id], version=v).decode()
            return out, None, f'low_level.hash_secret(time_cost={t}, memory_cost={kib}, parallelism={p}, hash_len={length}, version=0x{v:x}), fixed salt'

        def cffi_verify(password: str, hashed: str, ctx: Optional[dict[str, Any]], scheme_id: str = scheme_id) -> bool:
            try:
                return low_level.verify_secret(hashed.encode(), password.encode(), types[scheme_id])
            except a2.exceptions.VerifyMismatchError:
                return False

        recipes.append(Recipe(scheme_id, 'argon2-cffi', cffi_label, cffi_make, cffi_verify, f'{cffi_label} low_level.verify_secret'))
    return recipes


# ---------------------------------------------------------------------------------------------------------
# Dovecot doveadm pw

DOVECOT_VERSION = run(['dovecot', '--version']).stdout.decode().split()[0]
DOVEADM_LABEL = f'doveadm pw (Dovecot {DOVECOT_VERSION})'


def doveadm_verify(password: str, hashed: str, ctx: Optional[dict[str, Any]] = None) -> Optional[bool]:
    if password == '':
        return None  # doveadm cannot take an empty password on the command line: no verdict
    args = ['doveadm', 'pw', '-t', hashed, '-p', password]
    if ctx and 'user' in ctx:
        args += ['-u', str(ctx['user'])]
    return run(args, check=False).returncode == 0


DOVECOT_SCHEMES = {
    'dovecot_sha': 'SHA', 'dovecot_sha1': 'SHA1', 'dovecot_sha256': 'SHA256', 'dovecot_sha512': 'SHA512', 'dovecot_ssha': 'SSHA',
    'dovecot_ssha256': 'SSHA256', 'dovecot_ssha512': 'SSHA512', 'dovecot_smd5': 'SMD5', 'dovecot_md5': 'MD5',
    'dovecot_md5_crypt': 'MD5-CRYPT', 'dovecot_ldap_md5': 'LDAP-MD5', 'dovecot_plain_md5': 'PLAIN-MD5', 'dovecot_plain_md4': 'PLAIN-MD4',
    'dovecot_plain': 'PLAIN', 'dovecot_cleartext': 'CLEARTEXT', 'dovecot_cram_md5': 'CRAM-MD5', 'dovecot_hmac_md5': 'HMAC-MD5',
    'dovecot_digest_md5': 'DIGEST-MD5', 'dovecot_crypt': 'CRYPT', 'dovecot_des_crypt': 'DES-CRYPT', 'dovecot_blf_crypt': 'BLF-CRYPT',
    'dovecot_sha256_crypt': 'SHA256-CRYPT', 'dovecot_sha512_crypt': 'SHA512-CRYPT', 'dovecot_pbkdf2': 'PBKDF2',
    'dovecot_scram_sha_1': 'SCRAM-SHA-1', 'dovecot_scram_sha_256': 'SCRAM-SHA-256', 'dovecot_argon2i': 'ARGON2I',
    'dovecot_argon2id': 'ARGON2ID',
}
# Low work factors (DEFAULT_I keeps doveadm's default); None: the scheme has no rounds.
DOVECOT_ROUNDS = {'BLF-CRYPT': '4', 'SHA256-CRYPT': '1000', 'SHA512-CRYPT': '1000', 'PBKDF2': '1000', 'SCRAM-SHA-1': '1000',
                  'SCRAM-SHA-256': '1000'}


def doveadm_recipes() -> list[Recipe]:
    recipes = []
    for scheme_id, scheme in DOVECOT_SCHEMES.items():
        def make(password: str, i: int, scheme: str = scheme, scheme_id: str = scheme_id) -> MakeResult:
            args = ['doveadm', 'pw', '-s', scheme, '-p', password]
            how = f'-s {scheme}'
            ctx = None
            if scheme in DOVECOT_ROUNDS and i != DEFAULT_I:
                args += ['-r', DOVECOT_ROUNDS[scheme]]
                how += f' -r {DOVECOT_ROUNDS[scheme]}'
            if scheme == 'DIGEST-MD5':
                user = cycle(['alice', 'bob@example.com', 'Administrator'], i)
                args += ['-u', user]
                ctx = {'user': user}
                how += ' -u <context.user>'
            return run(args).stdout.decode().strip(), ctx, how + ' -p <password>'
        # argon2 at Dovecot's fixed cost (64 MiB, t=3) is slow-ish: a few passwords only.
        slow = scheme.startswith('ARGON2')
        recipes.append(Recipe(scheme_id, 'doveadm', DOVEADM_LABEL, make, doveadm_verify, f'{DOVEADM_LABEL} -t', accepts=bool,
                              indices=[0, 1, 3, 5, 7] if slow else None, probes=not slow))
    return recipes


def doveadm_extras(store: Store) -> None:
    """Findings 4 and 7, decided by doveadm: libsodium's argon2 refuses v=16; scheme prefixes are case-insensitive."""
    from argon2 import low_level

    for scheme_id, prefix, kind in [('dovecot_argon2i', '{ARGON2I}', low_level.Type.I), ('dovecot_argon2id', '{ARGON2ID}', low_level.Type.ID)]:
        for version in (0x10, 0x13):
            inner = low_level.hash_secret(b'password', b'dovecot-v16-salt', time_cost=3, memory_cost=1024, parallelism=1, hash_len=32,
                                          type=kind, version=version).decode()
            hashed = prefix + inner
            store.add(Vector(scheme_id, 'password', hashed, doveadm_verify('password', hashed),
                             f'argon2-cffi low_level.hash_secret(version=0x{version:x}) wrapped in {prefix}; verdict by {DOVEADM_LABEL} -t'
                             + (' (libsodium refuses argon2 v=16, hash-formats.md finding 4)' if version == 0x10 else '')))
    # Dovecot decodes an unsalted digest as hex or base64 by its length: re-encode doveadm's own output.
    for scheme_id in ['dovecot_sha', 'dovecot_sha1', 'dovecot_sha256', 'dovecot_sha512', 'dovecot_plain_md5', 'dovecot_ldap_md5', 'dovecot_plain_md4']:
        for v in [v for v in store.by_id[scheme_id] if v.expected and v.source.startswith(DOVEADM_LABEL)][:2]:
            end = v.hash.index('}') + 1
            body = v.hash[end:]
            if re.fullmatch(r'[0-9a-fA-F]+', body):
                other, encoding = base64.b64encode(bytes.fromhex(body)).decode(), 'base64'
            else:
                other, encoding = base64.b64decode(body).hex(), 'hex'
            hashed = v.hash[:end] + other
            store.add(Vector(scheme_id, v.password, hashed, doveadm_verify(v.password, hashed),
                             f'{v.source}, digest re-encoded as {encoding}; verdict by {DOVEADM_LABEL} -t (Dovecot reads hex or base64 by length)'))
    # Finding 2's other half: Dovecot's {MD5} is MD5-CRYPT, yet its verifier also takes a plain MD5 digest.
    for password in ['password', 'Straße']:
        digest = hashlib.md5(password.encode()).digest()
        for body, encoding in [(base64.b64encode(digest).decode(), 'base64'), (digest.hex(), 'hex')]:
            hashed = '{MD5}' + body
            how = f'{DOVEADM_LABEL} -t verdict on {{MD5}} + {encoding} MD5 digest (string constructed here)'
            store.add(Vector('dovecot_md5', password, hashed, doveadm_verify(password, hashed), how))
            store.add(Vector('dovecot_md5', near_miss(password), hashed, doveadm_verify(near_miss(password), hashed),
                             how + ' [negative: first character changed]'))
    for scheme_id in ['dovecot_ssha', 'dovecot_sha', 'dovecot_smd5', 'dovecot_ssha512', 'dovecot_plain_md5']:
        first = next(v for v in store.by_id[scheme_id] if v.expected and v.source.startswith(DOVEADM_LABEL))
        end = first.hash.index('}') + 1
        lowered = first.hash[:end].lower() + first.hash[end:]
        store.add(Vector(scheme_id, first.password, lowered, doveadm_verify(first.password, lowered),
                         f'{first.source}, scheme prefix lower-cased; verdict by {DOVEADM_LABEL} -t (hash-formats.md finding 7)'))


# ---------------------------------------------------------------------------------------------------------
# OpenLDAP slappasswd (+ slapd-contrib modules)

SLAPPASSWD_LABEL = f'slappasswd (OpenLDAP {dpkg_version("slapd")})'


def slappasswd_recipes() -> list[Recipe]:
    def recipe(scheme_id: str, scheme: str, module: Optional[Callable[[int], Optional[str]]] = None,
               crypt_format: Optional[Callable[[int], Optional[str]]] = None, **extra: Any) -> Recipe:
        def make(password: str, i: int) -> MakeResult:
            args = ['slappasswd', '-n', '-h', scheme, '-s', password]
            how = f'-h {scheme}'
            mod = module(i) if module else None
            if mod:
                args[1:1] = ['-o', 'module-path=/usr/lib/ldap', '-o', f'module-load={mod}']
                how = f'-o module-load="{mod}" ' + how
            fmt = crypt_format(i) if crypt_format else None
            if fmt:
                args += ['-c', fmt]
                how += f" -c '{fmt}'"
            out = run(args).stdout.decode().strip()
            if not out:
                raise ValueError('slappasswd failed')
            return out, None, how + ' -s <password>'
        return Recipe(scheme_id, 'slappasswd', SLAPPASSWD_LABEL, make, None, '', accepts=bool, **extra)

    sha2 = lambda i: 'pw-sha2'  # noqa: E731
    pbkdf2 = lambda i: 'pw-pbkdf2'  # noqa: E731
    return [
        recipe('ldap_salted_sha1', '{SSHA}'),
        recipe('ldap_sha1', '{SHA}'),
        recipe('ldap_salted_md5', '{SMD5}'),
        recipe('ldap_md5', '{MD5}'),
        # finding 8: the default {CRYPT} salt format is long, so libxcrypt makes bigcrypt for > 8 characters.
        recipe('ldap_bigcrypt', '{CRYPT}'),
        recipe('ldap_des_crypt', '{CRYPT}', crypt_format=lambda i: '%.2s'),
        recipe('ldap_md5_crypt', '{CRYPT}', crypt_format=lambda i: '$1$%.8s'),
        recipe('ldap_sha256_crypt', '{CRYPT}', crypt_format=lambda i: cycle(['$5$%.16s', '$5$rounds=1000$%.16s'], i)),
        recipe('ldap_sha512_crypt', '{CRYPT}', crypt_format=lambda i: cycle(['$6$%.16s', '$6$rounds=1000$%.16s'], i)),
        recipe('ldap_plaintext', '{CLEARTEXT}'),
        recipe('ldap_sha256', '{SHA256}', sha2),
        recipe('ldap_sha384', '{SHA384}', sha2),
        recipe('ldap_sha512', '{SHA512}', sha2),
        recipe('ldap_salted_sha256', '{SSHA256}', sha2),
        recipe('ldap_salted_sha384', '{SSHA384}', sha2),
        recipe('ldap_salted_sha512', '{SSHA512}', sha2),
        recipe('ldap_pbkdf2_sha1', '{PBKDF2}', pbkdf2, indices=[0, 2, 4, 6, 8]),
        recipe('ldap_pbkdf2_sha1', '{PBKDF2-SHA1}', pbkdf2, indices=[1, 3, 5, 7]),
        recipe('ldap_pbkdf2_sha256', '{PBKDF2-SHA256}', pbkdf2),
        recipe('ldap_pbkdf2_sha512', '{PBKDF2-SHA512}', pbkdf2),
        # OpenLDAP's argon2 module writes argon2i; DEFAULT_I keeps its defaults (m=4096 KiB, t=3).
        recipe('ldap_argon2', '{ARGON2}', lambda i: 'argon2' if i == DEFAULT_I else f'argon2 m={cycle([256, 1024], i)} t={cycle([1, 2], i)} p=1'),
        recipe('openldap_apr1', '{APR1}', lambda i: 'pw-apr1'),
        recipe('openldap_bsdmd5', '{BSDMD5}', lambda i: 'pw-apr1'),
    ]


# ---------------------------------------------------------------------------------------------------------
# Published vectors

def append_published(store: Store, path: Path) -> int:
    count = 0
    with path.open(encoding='utf-8') as f:
        for line in f:
            if not line.strip():
                continue
            o = json.loads(line)
            store.add(Vector(o['format'], o['password'], o['hash'], bool(o['expect']), o['source'], o.get('context')))
            count += 1
    return count


# ---------------------------------------------------------------------------------------------------------
# Cross-check: every vector against every other implementation on this machine that knows the format.

Checker = Callable[[str, str, Optional[dict[str, Any]]], Optional[bool]]


def strip_prefix(hashed: str, prefix: str) -> Optional[str]:
    return hashed[len(prefix):] if hashed.upper().startswith(prefix.upper()) else None


def build_checkers(php: Php) -> dict[str, list[tuple[str, Checker]]]:
    from argon2 import low_level
    import argon2 as a2
    from django.contrib.auth.hashers import check_password as django_check

    checkers: dict[str, list[tuple[str, Checker]]] = collections.defaultdict(list)

    def passlib_checker(handler: str, transform: Callable[[str], Optional[str]] = lambda h: h) -> Checker:
        def check(password: str, hashed: str, ctx: Optional[dict[str, Any]]) -> Optional[bool]:
            inner = transform(hashed)
            if inner is None:
                return None
            return getattr(ph, handler).verify(password, inner, **(ctx or {}))
        return check

    def wrapped(fn: Callable[[str, str, Optional[dict[str, Any]]], bool], transform: Callable[[str], Optional[str]]) -> Checker:
        def check(password: str, hashed: str, ctx: Optional[dict[str, Any]]) -> Optional[bool]:
            inner = transform(hashed)
            return None if inner is None else fn(password, inner, ctx)  # type: ignore[return-value]
        return check

    ident = lambda h: h  # noqa: E731
    pre = lambda p: (lambda h: strip_prefix(h, p))  # noqa: E731
    reprefix = lambda old, new: (lambda h: None if (s := strip_prefix(h, old)) is None else new + s)  # noqa: E731

    # passlib handlers under their own name
    from passlib import registry
    for name in registry.list_crypt_handlers():
        if name in ('unix_fallback',):
            continue
        checkers[name].append(('passlib', passlib_checker(name)))
    # passlib for formats it knows under another name
    for scheme_id, (handler, transform) in {
        'dovecot_sha': ('ldap_sha1', ident), 'dovecot_sha1': ('ldap_sha1', reprefix('{SHA1}', '{SHA}')),
        'dovecot_ssha': ('ldap_salted_sha1', ident), 'dovecot_smd5': ('ldap_salted_md5', ident),
        'dovecot_ssha256': ('ldap_salted_sha256', ident), 'dovecot_ssha512': ('ldap_salted_sha512', ident),
        'dovecot_ldap_md5': ('ldap_md5', reprefix('{LDAP-MD5}', '{MD5}')), 'dovecot_plain_md5': ('hex_md5', pre('{PLAIN-MD5}')),
        'dovecot_md5': ('md5_crypt', pre('{MD5}')), 'dovecot_md5_crypt': ('md5_crypt', pre('{MD5-CRYPT}')),
        'dovecot_sha256_crypt': ('sha256_crypt', pre('{SHA256-CRYPT}')), 'dovecot_sha512_crypt': ('sha512_crypt', pre('{SHA512-CRYPT}')),
        'dovecot_blf_crypt': ('bcrypt', pre('{BLF-CRYPT}')), 'dovecot_des_crypt': ('des_crypt', pre('{DES-CRYPT}')),
        'dovecot_argon2i': ('argon2', pre('{ARGON2I}')), 'dovecot_argon2id': ('argon2', pre('{ARGON2ID}')),
        'dovecot_plain': ('plaintext', pre('{PLAIN}')), 'dovecot_cleartext': ('plaintext', pre('{CLEARTEXT}')),
        'ldap_bigcrypt': ('bigcrypt', pre('{CRYPT}')), 'ldap_argon2': ('argon2', pre('{ARGON2}')),
        'dovecot_crypt': ('bcrypt', pre('{CRYPT}')),
    }.items():
        checkers[scheme_id].append(('passlib', passlib_checker(handler, transform)))
    checkers['ldap_pbkdf2_sha1'] = [('passlib', passlib_checker('ldap_pbkdf2_sha1', lambda h: h.replace('{PBKDF2-SHA1}', '{PBKDF2}', 1)))]

    # libxcrypt crypt()
    crypt_ids = {sid: ident for sid in ['des_crypt', 'bigcrypt', 'bsdi_crypt', 'md5_crypt', 'sha256_crypt', 'sha512_crypt', 'bcrypt', 'bcrypt_2x',
                                        'sun_md5_crypt', 'sha1_crypt', 'yescrypt', 'gost_yescrypt', 'scrypt_crypt7', 'bsd_nthash']}
    crypt_ids.update({sid: pre('{CRYPT}') for sid in ['ldap_des_crypt', 'ldap_bigcrypt', 'ldap_bsdi_crypt', 'ldap_md5_crypt', 'ldap_sha256_crypt',
                                                     'ldap_sha512_crypt', 'ldap_bcrypt', 'ldap_sha1_crypt', 'dovecot_crypt']})
    crypt_ids.update({'dovecot_md5': pre('{MD5}'), 'dovecot_md5_crypt': pre('{MD5-CRYPT}'), 'dovecot_sha256_crypt': pre('{SHA256-CRYPT}'),
                      'dovecot_sha512_crypt': pre('{SHA512-CRYPT}'), 'dovecot_blf_crypt': pre('{BLF-CRYPT}'), 'dovecot_des_crypt': pre('{DES-CRYPT}')})
    for sid, transform in crypt_ids.items():
        checkers[sid].append(('libxcrypt', wrapped(libxcrypt_verify, transform)))

    # PHP password_verify (crypt() family and argon2)
    php_verify = lambda p, h, c: bool(php.call({'op': 'verify', 'password': p, 'hash': h}))  # noqa: E731
    php_ids = {sid: ident for sid in ['bcrypt', 'bcrypt_2x', 'argon2i', 'argon2id', 'des_crypt', 'bsdi_crypt', 'md5_crypt', 'sha256_crypt', 'sha512_crypt']}
    php_ids.update({'dovecot_blf_crypt': pre('{BLF-CRYPT}'), 'dovecot_sha512_crypt': pre('{SHA512-CRYPT}'),
                    'dovecot_sha256_crypt': pre('{SHA256-CRYPT}'), 'dovecot_md5_crypt': pre('{MD5-CRYPT}'),
                    'dovecot_argon2i': pre('{ARGON2I}'), 'dovecot_argon2id': pre('{ARGON2ID}'), 'ldap_sha512_crypt': pre('{CRYPT}'),
                    'ldap_md5_crypt': pre('{CRYPT}'), 'ldap_bcrypt': pre('{CRYPT}'), 'ldap_argon2': pre('{ARGON2}')})
    for sid, transform in php_ids.items():
        checkers[sid].append(('php', wrapped(php_verify, transform)))

    # doveadm pw -t (Dovecot's own verifier)
    dove = {sid: ident for sid in DOVECOT_SCHEMES}
    dove.update({'ldap_sha1': ident, 'ldap_salted_sha1': ident, 'ldap_salted_md5': ident, 'ldap_sha256': ident, 'ldap_sha512': ident,
                 'ldap_salted_sha256': ident, 'ldap_salted_sha512': ident, 'ldap_md5': reprefix('{MD5}', '{LDAP-MD5}'),
                 'argon2i': lambda h: '{ARGON2I}' + h, 'argon2id': lambda h: '{ARGON2ID}' + h, 'md5_crypt': lambda h: '{MD5-CRYPT}' + h,
                 'sha256_crypt': lambda h: '{SHA256-CRYPT}' + h, 'sha512_crypt': lambda h: '{SHA512-CRYPT}' + h,
                 'bcrypt': lambda h: '{BLF-CRYPT}' + h, 'des_crypt': lambda h: '{DES-CRYPT}' + h, 'hex_md5': lambda h: '{PLAIN-MD5}' + h,
                 'ldap_argon2': reprefix('{ARGON2}', '{ARGON2I}'), 'ldap_sha512_crypt': ident, 'ldap_md5_crypt': ident, 'ldap_sha256_crypt': ident})
    for sid, transform in dove.items():
        checkers[sid].append(('doveadm', wrapped(doveadm_verify, transform)))

    # argon2-cffi
    def cffi(password: str, hashed: str, ctx: Optional[dict[str, Any]]) -> bool:
        m = PHC.match(hashed)
        if not m:
            raise ValueError('not a PHC argon2 string')
        kind = {'argon2i': low_level.Type.I, 'argon2d': low_level.Type.D, 'argon2id': low_level.Type.ID}[m.group(1)]
        try:
            return low_level.verify_secret(hashed.encode(), password.encode(), kind)
        except a2.exceptions.VerifyMismatchError:
            return False
    for sid, transform in {'argon2': ident, 'argon2i': ident, 'argon2d': ident, 'argon2id': ident, 'ldap_argon2': pre('{ARGON2}'),
                           'dovecot_argon2i': pre('{ARGON2I}'), 'dovecot_argon2id': pre('{ARGON2ID}'),
                           'django_argon2': lambda h: h[len('argon2'):] if h.startswith('argon2$') else None}.items():
        checkers[sid].append(('argon2-cffi', wrapped(cffi, transform)))

    # Django's own check_password
    for sid in ['django_pbkdf2_sha256', 'django_pbkdf2_sha1', 'django_argon2', 'django_bcrypt_sha256', 'django_bcrypt', 'django_salted_sha1',
                'django_salted_md5', 'django_unsalted_sha1', 'django_unsalted_md5', 'django_des_crypt', 'django_disabled']:
        checkers[sid].append(('django', lambda p, h, c: bool(django_check(p, h))))

    # WordPress 6.8: the HMAC-SHA384 pre-hash in Python (after PHP's trim() set, as a login does), bcrypt by
    # libxcrypt and by passlib.
    def wp_prehash(password: str) -> str:
        key = hmac_mod.new(b'wp-sha384', password.strip(' \t\n\r\0\x0b').encode(), hashlib.sha384).digest()
        return base64.b64encode(key).decode()
    checkers['wordpress_bcrypt'].append(('libxcrypt', wrapped(lambda p, h, c: libxcrypt_verify(wp_prehash(p), h), pre('$wp'))))
    checkers['wordpress_bcrypt'].append(('passlib', wrapped(lambda p, h, c: ph.bcrypt.verify(wp_prehash(p), h), pre('$wp'))))

    # Keycloak: Python's hashlib.pbkdf2_hmac (OpenSSL), as many bytes as the stored key, bytes compared.
    def keycloak_hashlib(scheme_id: str) -> Checker:
        def check(password: str, hashed: str, ctx: Optional[dict[str, Any]]) -> Optional[bool]:
            algorithm, iterations, salt, value = keycloak_parse(hashed)
            if algorithm != KEYCLOAK_ALGORITHMS[scheme_id]:
                return None
            key = base64.b64decode(value)
            return hashlib.pbkdf2_hmac(KEYCLOAK_HASHLIB[algorithm], password.encode(), salt, iterations, len(key)) == key
        return check
    for sid in KEYCLOAK_ALGORITHMS:
        checkers[sid].append(('hashlib', keycloak_hashlib(sid)))
    return checkers


def oracle_family(source: str) -> str:
    for prefix, family in [('passlib', 'passlib'), ('Django', 'django'), ('php', 'php'), ('mkpasswd', 'libxcrypt'), ('doveadm', 'doveadm'),
                           ('argon2-cffi', 'argon2-cffi'), ('argon2 CLI', 'argon2-cli'), ('openssl', 'openssl'), ('htpasswd', 'htpasswd'),
                           ('slappasswd', 'slappasswd'), ('JDK', 'jdk'), ('python hashlib', 'hashlib'), ('libpq', 'libpq'),
                           ('string constructed here', 'hashcat')]:
        if source.startswith(prefix):
            return family
    return 'published'


def explain(scheme_id: str, v: Vector, checker: str, answer: Any) -> Optional[str]:
    """Known, documented disagreements (docs/hash-vectors.md); None for an unexplained one."""
    m = re.search(r'\$argon2(?:id|i|d)\$(?:v=(\d+)\$)?m=\d+,t=\d+,p=(\d+)\$', v.hash)
    if checker == 'doveadm' and m and (m.group(1) in (None, '16') or m.group(2) != '1'):
        return 'libsodium (Dovecot) verifies only argon2 v=19 with p=1 (finding 4)'
    if checker in ('passlib', 'php') and scheme_id.startswith('dovecot_argon2') and m and m.group(1) in (None, '16'):
        return 'libargon2 accepts v=16 where Dovecot/libsodium does not (finding 4)'
    if scheme_id == 'bsd_nthash' and checker == 'passlib' and not is_ascii(v.password):
        return 'passlib encodes UTF-16LE, libxcrypt widens bytes (finding 1)'
    if scheme_id == 'bcrypt' and checker == 'passlib' and v.hash.endswith('L7'):
        return 'passlib normalises bcrypt padding bits (finding 3)'
    if checker == 'passlib' and isinstance(answer, str) and re.match(r'^\{[a-z0-9-]+\}', v.hash):
        return 'passlib prefixes are case-sensitive (finding 7)'
    if scheme_id == 'ldap_salted_sha256' and checker == 'passlib' and isinstance(answer, str):
        return 'passlib wants >= 8 salt bytes (finding 6)'
    if checker == 'passlib' and 'hex or base64 by length' in v.source or (scheme_id == 'dovecot_md5' and 'MD5 digest' in v.source):
        return "Dovecot reads an unsalted digest as hex or base64 by length; passlib's handlers take one encoding"
    if scheme_id == 'bigcrypt' and checker == 'libxcrypt' and len(v.hash) == 13 and len(v.password.encode()) > 8:
        return 'libxcrypt treats a 13-character bigcrypt hash as plain DES crypt (8 characters); passlib compares full bigcrypt'
    return None


def crosscheck(store: Store, checkers: dict[str, list[tuple[str, Checker]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for scheme_id, vectors in sorted(store.by_id.items()):
        checked = agreed = 0
        disagreements: list[str] = []
        explained: collections.Counter[str] = collections.Counter()
        for n, v in enumerate(vectors, start=1):
            family = oracle_family(v.source)
            verdicts = []
            for name, check in checkers.get(scheme_id, []):
                if name == family:
                    continue
                try:
                    answer = check(v.password, v.hash, v.context)
                except Exception as error:  # noqa: BLE001 (an implementation refusing the string is a verdict too)
                    answer = f'error:{type(error).__name__}'
                if answer is None:
                    continue
                verdicts.append((name, answer))
            if not verdicts:
                continue
            checked += 1
            disagreeing = [(name, a) for name, a in verdicts if a is not v.expected and not (v.expected is False and isinstance(a, str))]
            reasons = [explain(scheme_id, v, name, a) for name, a in disagreeing]
            if disagreeing and all(reasons):
                explained.update(r for r in reasons if r)
                agreed += 1
            elif disagreeing:
                disagreements.append(f'line {n} ({family}, expected {v.expected}): ' + ', '.join(f'{name}={a}' for name, a in disagreeing))
            else:
                agreed += 1
        summary[scheme_id] = {'vectors': len(vectors), 'checked': checked, 'agreed': agreed, 'disagreements': disagreements,
                              'explained': dict(explained)}
    return summary


# ---------------------------------------------------------------------------------------------------------

DOC = ROOT / 'docs' / 'hash-vectors.md'
DOC_START, DOC_END = '<!-- vector-counts:start -->', '<!-- vector-counts:end -->'


def source_label(source: str) -> str:
    family = oracle_family(source)
    names = {'libxcrypt': 'mkpasswd (libxcrypt)', 'argon2-cli': 'argon2 CLI', 'php': 'PHP', 'django': 'Django', 'jdk': 'JDK (KeycloakOracle.java)',
             'hashlib': 'python hashlib (fallback)', 'libpq': 'libpq', 'hashcat': 'hashcat (Debian) verdicts'}
    return source.split('@')[0] if family == 'published' else names.get(family, family)


def previous_check_column(text: str) -> dict[str, str]:
    """The cross-check column of the counts table as it stands, per id."""
    column = {}
    for line in text[text.index(DOC_START):text.index(DOC_END)].splitlines():
        m = re.match(r'^\| `([a-z0-9_]+)` \|.*\| ([^|]+) \|$', line)
        if m:
            column[m.group(1)] = m.group(2)
    return column


def store_from_files() -> Store:
    """Every committed vector file as it is on disk (for the counts after an --only run)."""
    store = Store()
    for path in sorted(OUT.glob('*.jsonl')):
        for line in path.read_text(encoding='utf-8').splitlines():
            if line.strip():
                o = json.loads(line)
                store.by_id[path.stem].append(Vector(path.stem, o['password'], o['hash'], o['expected'], o['source'], o.get('context')))
    return store


# Lines no oracle of this script makes: the PostgreSQL server's SCRAM verifiers (`CREATE ROLE ... PASSWORD`, read
# from pg_authid), appended by hand and named by a `server@host:port` source. A regeneration keeps them as they are
# (their salts are random, so they cannot be made again to the same text), after this run's lines.
HAND_APPENDED_SOURCE = re.compile(r'^PostgreSQL \S+ .*server@')


def hand_appended_lines(path: Path, vectors: list['Vector']) -> list[str]:
    if not path.exists():
        return []
    made = {(v.password, v.hash, v.context and json.dumps(v.context, sort_keys=True)) for v in vectors}
    kept = []
    for text in path.read_text(encoding='utf-8').splitlines():
        if not text.strip():
            continue
        line = json.loads(text)
        if not HAND_APPENDED_SOURCE.match(line.get('source', '')):
            continue
        key = (line['password'], line['hash'], line.get('context') and json.dumps(line['context'], sort_keys=True))
        if key not in made:
            kept.append(text)
    return kept


def write_doc_counts(store: Store, summary: Optional[dict[str, Any]], keep_previous: bool = False) -> None:
    """Rewrites the generated section of docs/hash-vectors.md: per-id counts, sources, cross-check. With
    keep_previous (an --only run), ids the summary does not cover keep their cross-check column."""
    if not DOC.exists():
        return
    text = DOC.read_text(encoding='utf-8')
    if DOC_START not in text or DOC_END not in text:
        return
    previous = previous_check_column(text) if keep_previous else {}
    total = sum(len(v) for v in store.by_id.values())
    positives = sum(1 for vs in store.by_id.values() for v in vs if v.expected)
    per_source: collections.Counter[str] = collections.Counter(source_label(v.source) for vs in store.by_id.values() for v in vs)
    lines = [DOC_START, '', f'{total} vectors ({positives} positive, {total - positives} negative) in {len(store.by_id)} files.', '',
             '| source | vectors |', '|---|---|']
    lines += [f'| {name} | {count} |' for name, count in per_source.most_common()]
    lines += ['', '| id | + | − | sources | 2nd implementation agrees / checked |', '|---|---|---|---|---|']
    for scheme_id, vectors in sorted(store.by_id.items()):
        pos = sum(1 for v in vectors if v.expected)
        sources = collections.Counter(source_label(v.source) for v in vectors)
        check = summary.get(scheme_id) if summary else None
        checked = f"{check['agreed']}/{check['checked']}" if check and check['checked'] else '—'
        if check is None and scheme_id in previous:
            checked = previous[scheme_id]
        lines.append(f"| `{scheme_id}` | {pos} | {len(vectors) - pos} | {', '.join(f'{k} ({c})' for k, c in sources.most_common())} | {checked} |")
    lines += ['', DOC_END]
    start, end = text.index(DOC_START), text.index(DOC_END) + len(DOC_END)
    DOC.write_text(text[:start] + '\n'.join(lines) + text[end:], encoding='utf-8')


def table_ids(path: Path) -> set[str]:
    ids = set()
    for line in path.read_text(encoding='utf-8').splitlines():
        m = re.match(r'^\| `([a-z0-9_]+)` \|', line)
        if m:
            ids.add(m.group(1))
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--published', type=Path, default=DEFAULT_PUBLISHED)
    parser.add_argument('--formats', type=Path, default=DEFAULT_FORMATS, help='hash-formats.md, to check the scheme ids')
    parser.add_argument('--only', help='comma-separated scheme ids to (re)write; other files are left alone')
    parser.add_argument('--no-crosscheck', action='store_true')
    parser.add_argument('--summary', type=Path, help='write the cross-check summary as JSON here')
    args = parser.parse_args()

    store = Store()
    php = Php()
    java = Java()
    recipes = (passlib_recipes() + django_recipes() + php_recipes(php) + htpasswd_recipes() + mkpasswd_recipes() + openssl_recipes()
               + argon2_recipes() + doveadm_recipes() + slappasswd_recipes() + wordpress_recipes(php) + keycloak_recipes(java))
    only = set(args.only.split(',')) if args.only else None
    for recipe in recipes:
        if only and recipe.id not in only:
            continue
        generate(store, recipe)
    if not only or {'unix_disabled', 'django_disabled'} & only:
        passlib_markers(store)
        django_markers(store)
    if not only or any(s.startswith('dovecot_') for s in only):
        doveadm_extras(store)
    if not only or 'wordpress_bcrypt' in only:
        wordpress_extras(store, php)
    if not only or set(HASHCAT_IDS) & only:
        hashcat_vectors(store, php, only)
    published = append_published(store, args.published)
    if only:
        store.by_id = collections.defaultdict(list, {k: v for k, v in store.by_id.items() if k in only})

    known = (table_ids(args.formats) | EXTRA_IDS) if args.formats.exists() else set()
    unknown = sorted(set(store.by_id) - known) if known else []
    if unknown:
        print(f'scheme ids not in {args.formats}: {unknown}', file=sys.stderr)
        return 1

    OUT.mkdir(parents=True, exist_ok=True)
    for scheme_id, vectors in sorted(store.by_id.items()):
        path = OUT / f'{scheme_id}.jsonl'
        kept = hand_appended_lines(path, vectors)
        with path.open('w', encoding='utf-8') as f:
            for v in vectors:
                f.write(v.to_json() + '\n')
            for line in kept:
                f.write(line + '\n')

    total = sum(len(v) for v in store.by_id.values())
    positives = sum(1 for vs in store.by_id.values() for v in vs if v.expected)
    print(f'{total} vectors ({positives} positive, {total - positives} negative) in {len(store.by_id)} files; {published} published lines read')
    if store.skipped:
        print('oracle refusals (password not hashable by that oracle):')
        for key, count in sorted(store.skipped.items()):
            print(f'  {key}: {count}')
    if known and not only:
        missing = sorted(known - set(store.by_id))
        print(f'ids of hash-formats.md with no vectors: {missing or "none"}')
    summary: Optional[dict[str, Any]] = None
    if not args.no_crosscheck:
        summary = crosscheck(store, build_checkers(php))
        confirmed = sum(s['agreed'] for s in summary.values())
        checked = sum(s['checked'] for s in summary.values())
        print(f'cross-check: {checked} vectors checked by another implementation, {confirmed} agree')
        print('known (explained) disagreements, counted as agreeing with the owner:')
        for reason, count in sorted(collections.Counter(r for s in summary.values() for r, c in s['explained'].items() for _ in range(c)).items()):
            print(f'  {count:4d}  {reason}')
        print('unexplained disagreements:')
        for scheme_id, s in summary.items():
            for d in s['disagreements']:
                print(f'  {scheme_id} {d}')
        if args.summary:
            args.summary.write_text(json.dumps(summary, indent=1) + '\n', encoding='utf-8')
    if not only:
        write_doc_counts(store, summary)
    else:  # the other files are untouched: count them from disk, keep their cross-check column
        write_doc_counts(store_from_files(), summary, keep_previous=True)
    php.close()
    java.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
