;; SHA-256 and SHA-512 (FIPS 180-4) plus the SHA-crypt round loop (Drepper's specification),
;; so that the thousands of rounds of one $5$ / $6$ verification run without returning to JavaScript:
;; through node:crypto each round paid a JS -> C++ call that cost more than the hashing itself.
;;
;; src/hashes/wasm/sha-crypt-module.ts is generated from this file: `node scripts/wasm/build.mjs`.
;;
;; Memory, in bytes. Below heap_base everything belongs to this module; the caller lays out its inputs
;; from heap_base upward and grows the memory to fit before calling.
;;   0     K512   80 x i64 round constants
;;   640   K256   64 x i32 round constants
;;   1024  W      message schedule, 80 x i64 (SHA-512) or 64 x i32 (SHA-256)
;;   1664  H      chaining state, 8 x i64 or 8 x i32
;;   1792  tail   last partial block of a message plus its padding: at most two SHA-512 blocks
;;   2048  heap_base
;; Words are stored little-endian (wasm's order) and byte-swapped on the way in and out, since SHA-2
;; reads and writes big-endian words.
(module
  (memory (export "memory") 1)
  (global (export "heap_base") i32 (i32.const 2048))
  (start $init)

  ;; Round constants from FIPS 180-4 4.2.2 (SHA-256) and 4.2.3 (SHA-512): the first 32 / 64 bits of the
  ;; fractional parts of the cube roots of the first 64 / 80 primes. Stored once, at instantiation, as
  ;; instructions rather than a data segment, so they stay readable as the standard prints them.
  (func $init
    (i64.store offset=0 (i32.const 0) (i64.const 0x428a2f98d728ae22))
    (i64.store offset=8 (i32.const 0) (i64.const 0x7137449123ef65cd))
    (i64.store offset=16 (i32.const 0) (i64.const 0xb5c0fbcfec4d3b2f))
    (i64.store offset=24 (i32.const 0) (i64.const 0xe9b5dba58189dbbc))
    (i64.store offset=32 (i32.const 0) (i64.const 0x3956c25bf348b538))
    (i64.store offset=40 (i32.const 0) (i64.const 0x59f111f1b605d019))
    (i64.store offset=48 (i32.const 0) (i64.const 0x923f82a4af194f9b))
    (i64.store offset=56 (i32.const 0) (i64.const 0xab1c5ed5da6d8118))
    (i64.store offset=64 (i32.const 0) (i64.const 0xd807aa98a3030242))
    (i64.store offset=72 (i32.const 0) (i64.const 0x12835b0145706fbe))
    (i64.store offset=80 (i32.const 0) (i64.const 0x243185be4ee4b28c))
    (i64.store offset=88 (i32.const 0) (i64.const 0x550c7dc3d5ffb4e2))
    (i64.store offset=96 (i32.const 0) (i64.const 0x72be5d74f27b896f))
    (i64.store offset=104 (i32.const 0) (i64.const 0x80deb1fe3b1696b1))
    (i64.store offset=112 (i32.const 0) (i64.const 0x9bdc06a725c71235))
    (i64.store offset=120 (i32.const 0) (i64.const 0xc19bf174cf692694))
    (i64.store offset=128 (i32.const 0) (i64.const 0xe49b69c19ef14ad2))
    (i64.store offset=136 (i32.const 0) (i64.const 0xefbe4786384f25e3))
    (i64.store offset=144 (i32.const 0) (i64.const 0x0fc19dc68b8cd5b5))
    (i64.store offset=152 (i32.const 0) (i64.const 0x240ca1cc77ac9c65))
    (i64.store offset=160 (i32.const 0) (i64.const 0x2de92c6f592b0275))
    (i64.store offset=168 (i32.const 0) (i64.const 0x4a7484aa6ea6e483))
    (i64.store offset=176 (i32.const 0) (i64.const 0x5cb0a9dcbd41fbd4))
    (i64.store offset=184 (i32.const 0) (i64.const 0x76f988da831153b5))
    (i64.store offset=192 (i32.const 0) (i64.const 0x983e5152ee66dfab))
    (i64.store offset=200 (i32.const 0) (i64.const 0xa831c66d2db43210))
    (i64.store offset=208 (i32.const 0) (i64.const 0xb00327c898fb213f))
    (i64.store offset=216 (i32.const 0) (i64.const 0xbf597fc7beef0ee4))
    (i64.store offset=224 (i32.const 0) (i64.const 0xc6e00bf33da88fc2))
    (i64.store offset=232 (i32.const 0) (i64.const 0xd5a79147930aa725))
    (i64.store offset=240 (i32.const 0) (i64.const 0x06ca6351e003826f))
    (i64.store offset=248 (i32.const 0) (i64.const 0x142929670a0e6e70))
    (i64.store offset=256 (i32.const 0) (i64.const 0x27b70a8546d22ffc))
    (i64.store offset=264 (i32.const 0) (i64.const 0x2e1b21385c26c926))
    (i64.store offset=272 (i32.const 0) (i64.const 0x4d2c6dfc5ac42aed))
    (i64.store offset=280 (i32.const 0) (i64.const 0x53380d139d95b3df))
    (i64.store offset=288 (i32.const 0) (i64.const 0x650a73548baf63de))
    (i64.store offset=296 (i32.const 0) (i64.const 0x766a0abb3c77b2a8))
    (i64.store offset=304 (i32.const 0) (i64.const 0x81c2c92e47edaee6))
    (i64.store offset=312 (i32.const 0) (i64.const 0x92722c851482353b))
    (i64.store offset=320 (i32.const 0) (i64.const 0xa2bfe8a14cf10364))
    (i64.store offset=328 (i32.const 0) (i64.const 0xa81a664bbc423001))
    (i64.store offset=336 (i32.const 0) (i64.const 0xc24b8b70d0f89791))
    (i64.store offset=344 (i32.const 0) (i64.const 0xc76c51a30654be30))
    (i64.store offset=352 (i32.const 0) (i64.const 0xd192e819d6ef5218))
    (i64.store offset=360 (i32.const 0) (i64.const 0xd69906245565a910))
    (i64.store offset=368 (i32.const 0) (i64.const 0xf40e35855771202a))
    (i64.store offset=376 (i32.const 0) (i64.const 0x106aa07032bbd1b8))
    (i64.store offset=384 (i32.const 0) (i64.const 0x19a4c116b8d2d0c8))
    (i64.store offset=392 (i32.const 0) (i64.const 0x1e376c085141ab53))
    (i64.store offset=400 (i32.const 0) (i64.const 0x2748774cdf8eeb99))
    (i64.store offset=408 (i32.const 0) (i64.const 0x34b0bcb5e19b48a8))
    (i64.store offset=416 (i32.const 0) (i64.const 0x391c0cb3c5c95a63))
    (i64.store offset=424 (i32.const 0) (i64.const 0x4ed8aa4ae3418acb))
    (i64.store offset=432 (i32.const 0) (i64.const 0x5b9cca4f7763e373))
    (i64.store offset=440 (i32.const 0) (i64.const 0x682e6ff3d6b2b8a3))
    (i64.store offset=448 (i32.const 0) (i64.const 0x748f82ee5defb2fc))
    (i64.store offset=456 (i32.const 0) (i64.const 0x78a5636f43172f60))
    (i64.store offset=464 (i32.const 0) (i64.const 0x84c87814a1f0ab72))
    (i64.store offset=472 (i32.const 0) (i64.const 0x8cc702081a6439ec))
    (i64.store offset=480 (i32.const 0) (i64.const 0x90befffa23631e28))
    (i64.store offset=488 (i32.const 0) (i64.const 0xa4506cebde82bde9))
    (i64.store offset=496 (i32.const 0) (i64.const 0xbef9a3f7b2c67915))
    (i64.store offset=504 (i32.const 0) (i64.const 0xc67178f2e372532b))
    (i64.store offset=512 (i32.const 0) (i64.const 0xca273eceea26619c))
    (i64.store offset=520 (i32.const 0) (i64.const 0xd186b8c721c0c207))
    (i64.store offset=528 (i32.const 0) (i64.const 0xeada7dd6cde0eb1e))
    (i64.store offset=536 (i32.const 0) (i64.const 0xf57d4f7fee6ed178))
    (i64.store offset=544 (i32.const 0) (i64.const 0x06f067aa72176fba))
    (i64.store offset=552 (i32.const 0) (i64.const 0x0a637dc5a2c898a6))
    (i64.store offset=560 (i32.const 0) (i64.const 0x113f9804bef90dae))
    (i64.store offset=568 (i32.const 0) (i64.const 0x1b710b35131c471b))
    (i64.store offset=576 (i32.const 0) (i64.const 0x28db77f523047d84))
    (i64.store offset=584 (i32.const 0) (i64.const 0x32caab7b40c72493))
    (i64.store offset=592 (i32.const 0) (i64.const 0x3c9ebe0a15c9bebc))
    (i64.store offset=600 (i32.const 0) (i64.const 0x431d67c49c100d4c))
    (i64.store offset=608 (i32.const 0) (i64.const 0x4cc5d4becb3e42b6))
    (i64.store offset=616 (i32.const 0) (i64.const 0x597f299cfc657e2a))
    (i64.store offset=624 (i32.const 0) (i64.const 0x5fcb6fab3ad6faec))
    (i64.store offset=632 (i32.const 0) (i64.const 0x6c44198c4a475817))
    (i32.store offset=640 (i32.const 0) (i32.const 0x428a2f98))
    (i32.store offset=644 (i32.const 0) (i32.const 0x71374491))
    (i32.store offset=648 (i32.const 0) (i32.const 0xb5c0fbcf))
    (i32.store offset=652 (i32.const 0) (i32.const 0xe9b5dba5))
    (i32.store offset=656 (i32.const 0) (i32.const 0x3956c25b))
    (i32.store offset=660 (i32.const 0) (i32.const 0x59f111f1))
    (i32.store offset=664 (i32.const 0) (i32.const 0x923f82a4))
    (i32.store offset=668 (i32.const 0) (i32.const 0xab1c5ed5))
    (i32.store offset=672 (i32.const 0) (i32.const 0xd807aa98))
    (i32.store offset=676 (i32.const 0) (i32.const 0x12835b01))
    (i32.store offset=680 (i32.const 0) (i32.const 0x243185be))
    (i32.store offset=684 (i32.const 0) (i32.const 0x550c7dc3))
    (i32.store offset=688 (i32.const 0) (i32.const 0x72be5d74))
    (i32.store offset=692 (i32.const 0) (i32.const 0x80deb1fe))
    (i32.store offset=696 (i32.const 0) (i32.const 0x9bdc06a7))
    (i32.store offset=700 (i32.const 0) (i32.const 0xc19bf174))
    (i32.store offset=704 (i32.const 0) (i32.const 0xe49b69c1))
    (i32.store offset=708 (i32.const 0) (i32.const 0xefbe4786))
    (i32.store offset=712 (i32.const 0) (i32.const 0x0fc19dc6))
    (i32.store offset=716 (i32.const 0) (i32.const 0x240ca1cc))
    (i32.store offset=720 (i32.const 0) (i32.const 0x2de92c6f))
    (i32.store offset=724 (i32.const 0) (i32.const 0x4a7484aa))
    (i32.store offset=728 (i32.const 0) (i32.const 0x5cb0a9dc))
    (i32.store offset=732 (i32.const 0) (i32.const 0x76f988da))
    (i32.store offset=736 (i32.const 0) (i32.const 0x983e5152))
    (i32.store offset=740 (i32.const 0) (i32.const 0xa831c66d))
    (i32.store offset=744 (i32.const 0) (i32.const 0xb00327c8))
    (i32.store offset=748 (i32.const 0) (i32.const 0xbf597fc7))
    (i32.store offset=752 (i32.const 0) (i32.const 0xc6e00bf3))
    (i32.store offset=756 (i32.const 0) (i32.const 0xd5a79147))
    (i32.store offset=760 (i32.const 0) (i32.const 0x06ca6351))
    (i32.store offset=764 (i32.const 0) (i32.const 0x14292967))
    (i32.store offset=768 (i32.const 0) (i32.const 0x27b70a85))
    (i32.store offset=772 (i32.const 0) (i32.const 0x2e1b2138))
    (i32.store offset=776 (i32.const 0) (i32.const 0x4d2c6dfc))
    (i32.store offset=780 (i32.const 0) (i32.const 0x53380d13))
    (i32.store offset=784 (i32.const 0) (i32.const 0x650a7354))
    (i32.store offset=788 (i32.const 0) (i32.const 0x766a0abb))
    (i32.store offset=792 (i32.const 0) (i32.const 0x81c2c92e))
    (i32.store offset=796 (i32.const 0) (i32.const 0x92722c85))
    (i32.store offset=800 (i32.const 0) (i32.const 0xa2bfe8a1))
    (i32.store offset=804 (i32.const 0) (i32.const 0xa81a664b))
    (i32.store offset=808 (i32.const 0) (i32.const 0xc24b8b70))
    (i32.store offset=812 (i32.const 0) (i32.const 0xc76c51a3))
    (i32.store offset=816 (i32.const 0) (i32.const 0xd192e819))
    (i32.store offset=820 (i32.const 0) (i32.const 0xd6990624))
    (i32.store offset=824 (i32.const 0) (i32.const 0xf40e3585))
    (i32.store offset=828 (i32.const 0) (i32.const 0x106aa070))
    (i32.store offset=832 (i32.const 0) (i32.const 0x19a4c116))
    (i32.store offset=836 (i32.const 0) (i32.const 0x1e376c08))
    (i32.store offset=840 (i32.const 0) (i32.const 0x2748774c))
    (i32.store offset=844 (i32.const 0) (i32.const 0x34b0bcb5))
    (i32.store offset=848 (i32.const 0) (i32.const 0x391c0cb3))
    (i32.store offset=852 (i32.const 0) (i32.const 0x4ed8aa4a))
    (i32.store offset=856 (i32.const 0) (i32.const 0x5b9cca4f))
    (i32.store offset=860 (i32.const 0) (i32.const 0x682e6ff3))
    (i32.store offset=864 (i32.const 0) (i32.const 0x748f82ee))
    (i32.store offset=868 (i32.const 0) (i32.const 0x78a5636f))
    (i32.store offset=872 (i32.const 0) (i32.const 0x84c87814))
    (i32.store offset=876 (i32.const 0) (i32.const 0x8cc70208))
    (i32.store offset=880 (i32.const 0) (i32.const 0x90befffa))
    (i32.store offset=884 (i32.const 0) (i32.const 0xa4506ceb))
    (i32.store offset=888 (i32.const 0) (i32.const 0xbef9a3f7))
    (i32.store offset=892 (i32.const 0) (i32.const 0xc67178f2))
  )

  (func $bswap64 (param $x i64) (result i64)
    (local.set $x
      (i64.or
        (i64.and (i64.shr_u (local.get $x) (i64.const 8)) (i64.const 0x00ff00ff00ff00ff))
        (i64.shl (i64.and (local.get $x) (i64.const 0x00ff00ff00ff00ff)) (i64.const 8))))
    (local.set $x
      (i64.or
        (i64.and (i64.shr_u (local.get $x) (i64.const 16)) (i64.const 0x0000ffff0000ffff))
        (i64.shl (i64.and (local.get $x) (i64.const 0x0000ffff0000ffff)) (i64.const 16))))
    (i64.rotl (local.get $x) (i64.const 32)))

  (func $bswap32 (param $x i32) (result i32)
    (i32.or
      (i32.rotl (i32.and (local.get $x) (i32.const 0xff00ff00)) (i32.const 8))
      (i32.rotr (i32.and (local.get $x) (i32.const 0x00ff00ff)) (i32.const 8))))

  ;; One 128-byte block at $block into H. The byte swap is written out in the first loop rather than
  ;; calling $bswap64: this is the hot path and the engine is not guaranteed to inline.
  (func $compress512 (param $block i32)
    (local $t i32) (local $x i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64)
    (local $e i64) (local $f i64) (local $g i64) (local $h i64)
    (loop $load
      (local.set $x (i64.load (i32.add (local.get $block) (local.get $t))))
      (local.set $x
        (i64.or
          (i64.and (i64.shr_u (local.get $x) (i64.const 8)) (i64.const 0x00ff00ff00ff00ff))
          (i64.shl (i64.and (local.get $x) (i64.const 0x00ff00ff00ff00ff)) (i64.const 8))))
      (local.set $x
        (i64.or
          (i64.and (i64.shr_u (local.get $x) (i64.const 16)) (i64.const 0x0000ffff0000ffff))
          (i64.shl (i64.and (local.get $x) (i64.const 0x0000ffff0000ffff)) (i64.const 16))))
      (i64.store offset=1024 (local.get $t) (i64.rotl (local.get $x) (i64.const 32)))
      (local.set $t (i32.add (local.get $t) (i32.const 8)))
      (br_if $load (i32.lt_u (local.get $t) (i32.const 128))))
    ;; W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], $t in bytes, so W[t-k] is at offset 1024 - 8k.
    (loop $expand
      (local.set $x (i64.load offset=1008 (local.get $t)))
      (local.set $a (i64.load offset=904 (local.get $t)))
      (i64.store offset=1024 (local.get $t)
        (i64.add
          (i64.add
            (i64.xor
              (i64.xor (i64.rotr (local.get $x) (i64.const 19)) (i64.rotr (local.get $x) (i64.const 61)))
              (i64.shr_u (local.get $x) (i64.const 6)))
            (i64.load offset=968 (local.get $t)))
          (i64.add
            (i64.xor
              (i64.xor (i64.rotr (local.get $a) (i64.const 1)) (i64.rotr (local.get $a) (i64.const 8)))
              (i64.shr_u (local.get $a) (i64.const 7)))
            (i64.load offset=896 (local.get $t)))))
      (local.set $t (i32.add (local.get $t) (i32.const 8)))
      (br_if $expand (i32.lt_u (local.get $t) (i32.const 640))))
    (local.set $a (i64.load offset=1664 (i32.const 0)))
    (local.set $b (i64.load offset=1672 (i32.const 0)))
    (local.set $c (i64.load offset=1680 (i32.const 0)))
    (local.set $d (i64.load offset=1688 (i32.const 0)))
    (local.set $e (i64.load offset=1696 (i32.const 0)))
    (local.set $f (i64.load offset=1704 (i32.const 0)))
    (local.set $g (i64.load offset=1712 (i32.const 0)))
    (local.set $h (i64.load offset=1720 (i32.const 0)))
    ;; Eight rounds per iteration, each naming the working variables one step further along, so that no
    ;; round has to shift a..h down: h += S1(e) + Ch(e,f,g) + K[t] + W[t]; d += h; h += S0(a) + Maj(a,b,c).
    ;; $t walks K (at 0) and W (at 1024) together.
    (local.set $t (i32.const 0))
    (loop $rounds
      ;; round 8i: a b c d e f g h
      (local.set $h
        (i64.add
          (i64.add (local.get $h)
            (i64.xor
              (i64.xor (i64.rotr (local.get $e) (i64.const 14)) (i64.rotr (local.get $e) (i64.const 18)))
              (i64.rotr (local.get $e) (i64.const 41))))
          (i64.add
            (i64.xor (local.get $g) (i64.and (local.get $e) (i64.xor (local.get $f) (local.get $g))))
            (i64.add (i64.load offset=0 (local.get $t)) (i64.load offset=1024 (local.get $t))))))
      (local.set $d (i64.add (local.get $d) (local.get $h)))
      (local.set $h
        (i64.add
          (i64.add (local.get $h)
            (i64.xor
              (i64.xor (i64.rotr (local.get $a) (i64.const 28)) (i64.rotr (local.get $a) (i64.const 34)))
              (i64.rotr (local.get $a) (i64.const 39))))
          (i64.or
            (i64.and (local.get $a) (local.get $b))
            (i64.and (local.get $c) (i64.or (local.get $a) (local.get $b))))))
      ;; round 8i+1: h a b c d e f g
      (local.set $g
        (i64.add
          (i64.add (local.get $g)
            (i64.xor
              (i64.xor (i64.rotr (local.get $d) (i64.const 14)) (i64.rotr (local.get $d) (i64.const 18)))
              (i64.rotr (local.get $d) (i64.const 41))))
          (i64.add
            (i64.xor (local.get $f) (i64.and (local.get $d) (i64.xor (local.get $e) (local.get $f))))
            (i64.add (i64.load offset=8 (local.get $t)) (i64.load offset=1032 (local.get $t))))))
      (local.set $c (i64.add (local.get $c) (local.get $g)))
      (local.set $g
        (i64.add
          (i64.add (local.get $g)
            (i64.xor
              (i64.xor (i64.rotr (local.get $h) (i64.const 28)) (i64.rotr (local.get $h) (i64.const 34)))
              (i64.rotr (local.get $h) (i64.const 39))))
          (i64.or
            (i64.and (local.get $h) (local.get $a))
            (i64.and (local.get $b) (i64.or (local.get $h) (local.get $a))))))
      ;; round 8i+2: g h a b c d e f
      (local.set $f
        (i64.add
          (i64.add (local.get $f)
            (i64.xor
              (i64.xor (i64.rotr (local.get $c) (i64.const 14)) (i64.rotr (local.get $c) (i64.const 18)))
              (i64.rotr (local.get $c) (i64.const 41))))
          (i64.add
            (i64.xor (local.get $e) (i64.and (local.get $c) (i64.xor (local.get $d) (local.get $e))))
            (i64.add (i64.load offset=16 (local.get $t)) (i64.load offset=1040 (local.get $t))))))
      (local.set $b (i64.add (local.get $b) (local.get $f)))
      (local.set $f
        (i64.add
          (i64.add (local.get $f)
            (i64.xor
              (i64.xor (i64.rotr (local.get $g) (i64.const 28)) (i64.rotr (local.get $g) (i64.const 34)))
              (i64.rotr (local.get $g) (i64.const 39))))
          (i64.or
            (i64.and (local.get $g) (local.get $h))
            (i64.and (local.get $a) (i64.or (local.get $g) (local.get $h))))))
      ;; round 8i+3: f g h a b c d e
      (local.set $e
        (i64.add
          (i64.add (local.get $e)
            (i64.xor
              (i64.xor (i64.rotr (local.get $b) (i64.const 14)) (i64.rotr (local.get $b) (i64.const 18)))
              (i64.rotr (local.get $b) (i64.const 41))))
          (i64.add
            (i64.xor (local.get $d) (i64.and (local.get $b) (i64.xor (local.get $c) (local.get $d))))
            (i64.add (i64.load offset=24 (local.get $t)) (i64.load offset=1048 (local.get $t))))))
      (local.set $a (i64.add (local.get $a) (local.get $e)))
      (local.set $e
        (i64.add
          (i64.add (local.get $e)
            (i64.xor
              (i64.xor (i64.rotr (local.get $f) (i64.const 28)) (i64.rotr (local.get $f) (i64.const 34)))
              (i64.rotr (local.get $f) (i64.const 39))))
          (i64.or
            (i64.and (local.get $f) (local.get $g))
            (i64.and (local.get $h) (i64.or (local.get $f) (local.get $g))))))
      ;; round 8i+4: e f g h a b c d
      (local.set $d
        (i64.add
          (i64.add (local.get $d)
            (i64.xor
              (i64.xor (i64.rotr (local.get $a) (i64.const 14)) (i64.rotr (local.get $a) (i64.const 18)))
              (i64.rotr (local.get $a) (i64.const 41))))
          (i64.add
            (i64.xor (local.get $c) (i64.and (local.get $a) (i64.xor (local.get $b) (local.get $c))))
            (i64.add (i64.load offset=32 (local.get $t)) (i64.load offset=1056 (local.get $t))))))
      (local.set $h (i64.add (local.get $h) (local.get $d)))
      (local.set $d
        (i64.add
          (i64.add (local.get $d)
            (i64.xor
              (i64.xor (i64.rotr (local.get $e) (i64.const 28)) (i64.rotr (local.get $e) (i64.const 34)))
              (i64.rotr (local.get $e) (i64.const 39))))
          (i64.or
            (i64.and (local.get $e) (local.get $f))
            (i64.and (local.get $g) (i64.or (local.get $e) (local.get $f))))))
      ;; round 8i+5: d e f g h a b c
      (local.set $c
        (i64.add
          (i64.add (local.get $c)
            (i64.xor
              (i64.xor (i64.rotr (local.get $h) (i64.const 14)) (i64.rotr (local.get $h) (i64.const 18)))
              (i64.rotr (local.get $h) (i64.const 41))))
          (i64.add
            (i64.xor (local.get $b) (i64.and (local.get $h) (i64.xor (local.get $a) (local.get $b))))
            (i64.add (i64.load offset=40 (local.get $t)) (i64.load offset=1064 (local.get $t))))))
      (local.set $g (i64.add (local.get $g) (local.get $c)))
      (local.set $c
        (i64.add
          (i64.add (local.get $c)
            (i64.xor
              (i64.xor (i64.rotr (local.get $d) (i64.const 28)) (i64.rotr (local.get $d) (i64.const 34)))
              (i64.rotr (local.get $d) (i64.const 39))))
          (i64.or
            (i64.and (local.get $d) (local.get $e))
            (i64.and (local.get $f) (i64.or (local.get $d) (local.get $e))))))
      ;; round 8i+6: c d e f g h a b
      (local.set $b
        (i64.add
          (i64.add (local.get $b)
            (i64.xor
              (i64.xor (i64.rotr (local.get $g) (i64.const 14)) (i64.rotr (local.get $g) (i64.const 18)))
              (i64.rotr (local.get $g) (i64.const 41))))
          (i64.add
            (i64.xor (local.get $a) (i64.and (local.get $g) (i64.xor (local.get $h) (local.get $a))))
            (i64.add (i64.load offset=48 (local.get $t)) (i64.load offset=1072 (local.get $t))))))
      (local.set $f (i64.add (local.get $f) (local.get $b)))
      (local.set $b
        (i64.add
          (i64.add (local.get $b)
            (i64.xor
              (i64.xor (i64.rotr (local.get $c) (i64.const 28)) (i64.rotr (local.get $c) (i64.const 34)))
              (i64.rotr (local.get $c) (i64.const 39))))
          (i64.or
            (i64.and (local.get $c) (local.get $d))
            (i64.and (local.get $e) (i64.or (local.get $c) (local.get $d))))))
      ;; round 8i+7: b c d e f g h a
      (local.set $a
        (i64.add
          (i64.add (local.get $a)
            (i64.xor
              (i64.xor (i64.rotr (local.get $f) (i64.const 14)) (i64.rotr (local.get $f) (i64.const 18)))
              (i64.rotr (local.get $f) (i64.const 41))))
          (i64.add
            (i64.xor (local.get $h) (i64.and (local.get $f) (i64.xor (local.get $g) (local.get $h))))
            (i64.add (i64.load offset=56 (local.get $t)) (i64.load offset=1080 (local.get $t))))))
      (local.set $e (i64.add (local.get $e) (local.get $a)))
      (local.set $a
        (i64.add
          (i64.add (local.get $a)
            (i64.xor
              (i64.xor (i64.rotr (local.get $b) (i64.const 28)) (i64.rotr (local.get $b) (i64.const 34)))
              (i64.rotr (local.get $b) (i64.const 39))))
          (i64.or
            (i64.and (local.get $b) (local.get $c))
            (i64.and (local.get $d) (i64.or (local.get $b) (local.get $c))))))
      (local.set $t (i32.add (local.get $t) (i32.const 64)))
      (br_if $rounds (i32.lt_u (local.get $t) (i32.const 640))))
    (i64.store offset=1664 (i32.const 0) (i64.add (i64.load offset=1664 (i32.const 0)) (local.get $a)))
    (i64.store offset=1672 (i32.const 0) (i64.add (i64.load offset=1672 (i32.const 0)) (local.get $b)))
    (i64.store offset=1680 (i32.const 0) (i64.add (i64.load offset=1680 (i32.const 0)) (local.get $c)))
    (i64.store offset=1688 (i32.const 0) (i64.add (i64.load offset=1688 (i32.const 0)) (local.get $d)))
    (i64.store offset=1696 (i32.const 0) (i64.add (i64.load offset=1696 (i32.const 0)) (local.get $e)))
    (i64.store offset=1704 (i32.const 0) (i64.add (i64.load offset=1704 (i32.const 0)) (local.get $f)))
    (i64.store offset=1712 (i32.const 0) (i64.add (i64.load offset=1712 (i32.const 0)) (local.get $g)))
    (i64.store offset=1720 (i32.const 0) (i64.add (i64.load offset=1720 (i32.const 0)) (local.get $h))))

  ;; One 64-byte block at $block into H; same shape as $compress512 with 32-bit words.
  (func $compress256 (param $block i32)
    (local $t i32) (local $x i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32)
    (local $e i32) (local $f i32) (local $g i32) (local $h i32)
    (loop $load
      (local.set $x (i32.load (i32.add (local.get $block) (local.get $t))))
      (i32.store offset=1024 (local.get $t)
        (i32.or
          (i32.rotl (i32.and (local.get $x) (i32.const 0xff00ff00)) (i32.const 8))
          (i32.rotr (i32.and (local.get $x) (i32.const 0x00ff00ff)) (i32.const 8))))
      (local.set $t (i32.add (local.get $t) (i32.const 4)))
      (br_if $load (i32.lt_u (local.get $t) (i32.const 64))))
    ;; W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], $t in bytes, so W[t-k] is at offset 1024 - 4k.
    (loop $expand
      (local.set $x (i32.load offset=1016 (local.get $t)))
      (local.set $a (i32.load offset=964 (local.get $t)))
      (i32.store offset=1024 (local.get $t)
        (i32.add
          (i32.add
            (i32.xor
              (i32.xor (i32.rotr (local.get $x) (i32.const 17)) (i32.rotr (local.get $x) (i32.const 19)))
              (i32.shr_u (local.get $x) (i32.const 10)))
            (i32.load offset=996 (local.get $t)))
          (i32.add
            (i32.xor
              (i32.xor (i32.rotr (local.get $a) (i32.const 7)) (i32.rotr (local.get $a) (i32.const 18)))
              (i32.shr_u (local.get $a) (i32.const 3)))
            (i32.load offset=960 (local.get $t)))))
      (local.set $t (i32.add (local.get $t) (i32.const 4)))
      (br_if $expand (i32.lt_u (local.get $t) (i32.const 256))))
    (local.set $a (i32.load offset=1664 (i32.const 0)))
    (local.set $b (i32.load offset=1668 (i32.const 0)))
    (local.set $c (i32.load offset=1672 (i32.const 0)))
    (local.set $d (i32.load offset=1676 (i32.const 0)))
    (local.set $e (i32.load offset=1680 (i32.const 0)))
    (local.set $f (i32.load offset=1684 (i32.const 0)))
    (local.set $g (i32.load offset=1688 (i32.const 0)))
    (local.set $h (i32.load offset=1692 (i32.const 0)))
    ;; $t walks W (at 1024) and K256 (at 640) together.
    (local.set $t (i32.const 0))
    (loop $rounds
      ;; round 8i: a b c d e f g h
      (local.set $h
        (i32.add
          (i32.add (local.get $h)
            (i32.xor
              (i32.xor (i32.rotr (local.get $e) (i32.const 6)) (i32.rotr (local.get $e) (i32.const 11)))
              (i32.rotr (local.get $e) (i32.const 25))))
          (i32.add
            (i32.xor (local.get $g) (i32.and (local.get $e) (i32.xor (local.get $f) (local.get $g))))
            (i32.add (i32.load offset=640 (local.get $t)) (i32.load offset=1024 (local.get $t))))))
      (local.set $d (i32.add (local.get $d) (local.get $h)))
      (local.set $h
        (i32.add
          (i32.add (local.get $h)
            (i32.xor
              (i32.xor (i32.rotr (local.get $a) (i32.const 2)) (i32.rotr (local.get $a) (i32.const 13)))
              (i32.rotr (local.get $a) (i32.const 22))))
          (i32.or
            (i32.and (local.get $a) (local.get $b))
            (i32.and (local.get $c) (i32.or (local.get $a) (local.get $b))))))
      ;; round 8i+1: h a b c d e f g
      (local.set $g
        (i32.add
          (i32.add (local.get $g)
            (i32.xor
              (i32.xor (i32.rotr (local.get $d) (i32.const 6)) (i32.rotr (local.get $d) (i32.const 11)))
              (i32.rotr (local.get $d) (i32.const 25))))
          (i32.add
            (i32.xor (local.get $f) (i32.and (local.get $d) (i32.xor (local.get $e) (local.get $f))))
            (i32.add (i32.load offset=644 (local.get $t)) (i32.load offset=1028 (local.get $t))))))
      (local.set $c (i32.add (local.get $c) (local.get $g)))
      (local.set $g
        (i32.add
          (i32.add (local.get $g)
            (i32.xor
              (i32.xor (i32.rotr (local.get $h) (i32.const 2)) (i32.rotr (local.get $h) (i32.const 13)))
              (i32.rotr (local.get $h) (i32.const 22))))
          (i32.or
            (i32.and (local.get $h) (local.get $a))
            (i32.and (local.get $b) (i32.or (local.get $h) (local.get $a))))))
      ;; round 8i+2: g h a b c d e f
      (local.set $f
        (i32.add
          (i32.add (local.get $f)
            (i32.xor
              (i32.xor (i32.rotr (local.get $c) (i32.const 6)) (i32.rotr (local.get $c) (i32.const 11)))
              (i32.rotr (local.get $c) (i32.const 25))))
          (i32.add
            (i32.xor (local.get $e) (i32.and (local.get $c) (i32.xor (local.get $d) (local.get $e))))
            (i32.add (i32.load offset=648 (local.get $t)) (i32.load offset=1032 (local.get $t))))))
      (local.set $b (i32.add (local.get $b) (local.get $f)))
      (local.set $f
        (i32.add
          (i32.add (local.get $f)
            (i32.xor
              (i32.xor (i32.rotr (local.get $g) (i32.const 2)) (i32.rotr (local.get $g) (i32.const 13)))
              (i32.rotr (local.get $g) (i32.const 22))))
          (i32.or
            (i32.and (local.get $g) (local.get $h))
            (i32.and (local.get $a) (i32.or (local.get $g) (local.get $h))))))
      ;; round 8i+3: f g h a b c d e
      (local.set $e
        (i32.add
          (i32.add (local.get $e)
            (i32.xor
              (i32.xor (i32.rotr (local.get $b) (i32.const 6)) (i32.rotr (local.get $b) (i32.const 11)))
              (i32.rotr (local.get $b) (i32.const 25))))
          (i32.add
            (i32.xor (local.get $d) (i32.and (local.get $b) (i32.xor (local.get $c) (local.get $d))))
            (i32.add (i32.load offset=652 (local.get $t)) (i32.load offset=1036 (local.get $t))))))
      (local.set $a (i32.add (local.get $a) (local.get $e)))
      (local.set $e
        (i32.add
          (i32.add (local.get $e)
            (i32.xor
              (i32.xor (i32.rotr (local.get $f) (i32.const 2)) (i32.rotr (local.get $f) (i32.const 13)))
              (i32.rotr (local.get $f) (i32.const 22))))
          (i32.or
            (i32.and (local.get $f) (local.get $g))
            (i32.and (local.get $h) (i32.or (local.get $f) (local.get $g))))))
      ;; round 8i+4: e f g h a b c d
      (local.set $d
        (i32.add
          (i32.add (local.get $d)
            (i32.xor
              (i32.xor (i32.rotr (local.get $a) (i32.const 6)) (i32.rotr (local.get $a) (i32.const 11)))
              (i32.rotr (local.get $a) (i32.const 25))))
          (i32.add
            (i32.xor (local.get $c) (i32.and (local.get $a) (i32.xor (local.get $b) (local.get $c))))
            (i32.add (i32.load offset=656 (local.get $t)) (i32.load offset=1040 (local.get $t))))))
      (local.set $h (i32.add (local.get $h) (local.get $d)))
      (local.set $d
        (i32.add
          (i32.add (local.get $d)
            (i32.xor
              (i32.xor (i32.rotr (local.get $e) (i32.const 2)) (i32.rotr (local.get $e) (i32.const 13)))
              (i32.rotr (local.get $e) (i32.const 22))))
          (i32.or
            (i32.and (local.get $e) (local.get $f))
            (i32.and (local.get $g) (i32.or (local.get $e) (local.get $f))))))
      ;; round 8i+5: d e f g h a b c
      (local.set $c
        (i32.add
          (i32.add (local.get $c)
            (i32.xor
              (i32.xor (i32.rotr (local.get $h) (i32.const 6)) (i32.rotr (local.get $h) (i32.const 11)))
              (i32.rotr (local.get $h) (i32.const 25))))
          (i32.add
            (i32.xor (local.get $b) (i32.and (local.get $h) (i32.xor (local.get $a) (local.get $b))))
            (i32.add (i32.load offset=660 (local.get $t)) (i32.load offset=1044 (local.get $t))))))
      (local.set $g (i32.add (local.get $g) (local.get $c)))
      (local.set $c
        (i32.add
          (i32.add (local.get $c)
            (i32.xor
              (i32.xor (i32.rotr (local.get $d) (i32.const 2)) (i32.rotr (local.get $d) (i32.const 13)))
              (i32.rotr (local.get $d) (i32.const 22))))
          (i32.or
            (i32.and (local.get $d) (local.get $e))
            (i32.and (local.get $f) (i32.or (local.get $d) (local.get $e))))))
      ;; round 8i+6: c d e f g h a b
      (local.set $b
        (i32.add
          (i32.add (local.get $b)
            (i32.xor
              (i32.xor (i32.rotr (local.get $g) (i32.const 6)) (i32.rotr (local.get $g) (i32.const 11)))
              (i32.rotr (local.get $g) (i32.const 25))))
          (i32.add
            (i32.xor (local.get $a) (i32.and (local.get $g) (i32.xor (local.get $h) (local.get $a))))
            (i32.add (i32.load offset=664 (local.get $t)) (i32.load offset=1048 (local.get $t))))))
      (local.set $f (i32.add (local.get $f) (local.get $b)))
      (local.set $b
        (i32.add
          (i32.add (local.get $b)
            (i32.xor
              (i32.xor (i32.rotr (local.get $c) (i32.const 2)) (i32.rotr (local.get $c) (i32.const 13)))
              (i32.rotr (local.get $c) (i32.const 22))))
          (i32.or
            (i32.and (local.get $c) (local.get $d))
            (i32.and (local.get $e) (i32.or (local.get $c) (local.get $d))))))
      ;; round 8i+7: b c d e f g h a
      (local.set $a
        (i32.add
          (i32.add (local.get $a)
            (i32.xor
              (i32.xor (i32.rotr (local.get $f) (i32.const 6)) (i32.rotr (local.get $f) (i32.const 11)))
              (i32.rotr (local.get $f) (i32.const 25))))
          (i32.add
            (i32.xor (local.get $h) (i32.and (local.get $f) (i32.xor (local.get $g) (local.get $h))))
            (i32.add (i32.load offset=668 (local.get $t)) (i32.load offset=1052 (local.get $t))))))
      (local.set $e (i32.add (local.get $e) (local.get $a)))
      (local.set $a
        (i32.add
          (i32.add (local.get $a)
            (i32.xor
              (i32.xor (i32.rotr (local.get $b) (i32.const 2)) (i32.rotr (local.get $b) (i32.const 13)))
              (i32.rotr (local.get $b) (i32.const 22))))
          (i32.or
            (i32.and (local.get $b) (local.get $c))
            (i32.and (local.get $d) (i32.or (local.get $b) (local.get $c))))))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (br_if $rounds (i32.lt_u (local.get $t) (i32.const 256))))
    (i32.store offset=1664 (i32.const 0) (i32.add (i32.load offset=1664 (i32.const 0)) (local.get $a)))
    (i32.store offset=1668 (i32.const 0) (i32.add (i32.load offset=1668 (i32.const 0)) (local.get $b)))
    (i32.store offset=1672 (i32.const 0) (i32.add (i32.load offset=1672 (i32.const 0)) (local.get $c)))
    (i32.store offset=1676 (i32.const 0) (i32.add (i32.load offset=1676 (i32.const 0)) (local.get $d)))
    (i32.store offset=1680 (i32.const 0) (i32.add (i32.load offset=1680 (i32.const 0)) (local.get $e)))
    (i32.store offset=1684 (i32.const 0) (i32.add (i32.load offset=1684 (i32.const 0)) (local.get $f)))
    (i32.store offset=1688 (i32.const 0) (i32.add (i32.load offset=1688 (i32.const 0)) (local.get $g)))
    (i32.store offset=1692 (i32.const 0) (i32.add (i32.load offset=1692 (i32.const 0)) (local.get $h))))

  ;; SHA-512 of $len bytes at $ptr, 64 bytes written to $out ($out may overlap the input).
  (func $sha512 (export "sha512") (param $ptr i32) (param $len i32) (param $out i32)
    (local $end i32) (local $rem i32) (local $tail_len i32)
    ;; Initial hash value, FIPS 180-4 5.3.5.
    (i64.store offset=1664 (i32.const 0) (i64.const 0x6a09e667f3bcc908))
    (i64.store offset=1672 (i32.const 0) (i64.const 0xbb67ae8584caa73b))
    (i64.store offset=1680 (i32.const 0) (i64.const 0x3c6ef372fe94f82b))
    (i64.store offset=1688 (i32.const 0) (i64.const 0xa54ff53a5f1d36f1))
    (i64.store offset=1696 (i32.const 0) (i64.const 0x510e527fade682d1))
    (i64.store offset=1704 (i32.const 0) (i64.const 0x9b05688c2b3e6c1f))
    (i64.store offset=1712 (i32.const 0) (i64.const 0x1f83d9abfb41bd6b))
    (i64.store offset=1720 (i32.const 0) (i64.const 0x5be0cd19137e2179))
    (local.set $end (i32.add (local.get $ptr) (i32.and (local.get $len) (i32.const -128))))
    (block $whole_blocks_done
      (loop $whole_blocks
        (br_if $whole_blocks_done (i32.ge_u (local.get $ptr) (local.get $end)))
        (call $compress512 (local.get $ptr))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 128)))
        (br $whole_blocks)))
    ;; Padding: 0x80, zeros, then the bit length as a 128-bit big-endian number (its high half is zero
    ;; for any length that fits in memory). It spills into a second block when fewer than 17 bytes remain.
    (local.set $rem (i32.and (local.get $len) (i32.const 127)))
    (local.set $tail_len (select (i32.const 128) (i32.const 256) (i32.lt_u (local.get $rem) (i32.const 112))))
    (memory.copy (i32.const 1792) (local.get $ptr) (local.get $rem))
    (i32.store8 offset=1792 (local.get $rem) (i32.const 0x80))
    (memory.fill
      (i32.add (i32.const 1793) (local.get $rem))
      (i32.const 0)
      (i32.sub (i32.sub (local.get $tail_len) (local.get $rem)) (i32.const 9)))
    (i64.store offset=1784 (local.get $tail_len)
      (call $bswap64 (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 3))))
    (call $compress512 (i32.const 1792))
    (if (i32.eq (local.get $tail_len) (i32.const 256))
      (then (call $compress512 (i32.const 1920))))
    (i64.store offset=0 (local.get $out) (call $bswap64 (i64.load offset=1664 (i32.const 0))))
    (i64.store offset=8 (local.get $out) (call $bswap64 (i64.load offset=1672 (i32.const 0))))
    (i64.store offset=16 (local.get $out) (call $bswap64 (i64.load offset=1680 (i32.const 0))))
    (i64.store offset=24 (local.get $out) (call $bswap64 (i64.load offset=1688 (i32.const 0))))
    (i64.store offset=32 (local.get $out) (call $bswap64 (i64.load offset=1696 (i32.const 0))))
    (i64.store offset=40 (local.get $out) (call $bswap64 (i64.load offset=1704 (i32.const 0))))
    (i64.store offset=48 (local.get $out) (call $bswap64 (i64.load offset=1712 (i32.const 0))))
    (i64.store offset=56 (local.get $out) (call $bswap64 (i64.load offset=1720 (i32.const 0)))))

  ;; SHA-256 of $len bytes at $ptr, 32 bytes written to $out ($out may overlap the input).
  (func $sha256 (export "sha256") (param $ptr i32) (param $len i32) (param $out i32)
    (local $end i32) (local $rem i32) (local $tail_len i32)
    ;; Initial hash value, FIPS 180-4 5.3.3.
    (i32.store offset=1664 (i32.const 0) (i32.const 0x6a09e667))
    (i32.store offset=1668 (i32.const 0) (i32.const 0xbb67ae85))
    (i32.store offset=1672 (i32.const 0) (i32.const 0x3c6ef372))
    (i32.store offset=1676 (i32.const 0) (i32.const 0xa54ff53a))
    (i32.store offset=1680 (i32.const 0) (i32.const 0x510e527f))
    (i32.store offset=1684 (i32.const 0) (i32.const 0x9b05688c))
    (i32.store offset=1688 (i32.const 0) (i32.const 0x1f83d9ab))
    (i32.store offset=1692 (i32.const 0) (i32.const 0x5be0cd19))
    (local.set $end (i32.add (local.get $ptr) (i32.and (local.get $len) (i32.const -64))))
    (block $whole_blocks_done
      (loop $whole_blocks
        (br_if $whole_blocks_done (i32.ge_u (local.get $ptr) (local.get $end)))
        (call $compress256 (local.get $ptr))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 64)))
        (br $whole_blocks)))
    ;; Padding: 0x80, zeros, then the bit length as a 64-bit big-endian number; a second block when
    ;; fewer than 9 bytes remain.
    (local.set $rem (i32.and (local.get $len) (i32.const 63)))
    (local.set $tail_len (select (i32.const 64) (i32.const 128) (i32.lt_u (local.get $rem) (i32.const 56))))
    (memory.copy (i32.const 1792) (local.get $ptr) (local.get $rem))
    (i32.store8 offset=1792 (local.get $rem) (i32.const 0x80))
    (memory.fill
      (i32.add (i32.const 1793) (local.get $rem))
      (i32.const 0)
      (i32.sub (i32.sub (local.get $tail_len) (local.get $rem)) (i32.const 9)))
    (i64.store offset=1784 (local.get $tail_len)
      (call $bswap64 (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 3))))
    (call $compress256 (i32.const 1792))
    (if (i32.eq (local.get $tail_len) (i32.const 128))
      (then (call $compress256 (i32.const 1856))))
    (i32.store offset=0 (local.get $out) (call $bswap32 (i32.load offset=1664 (i32.const 0))))
    (i32.store offset=4 (local.get $out) (call $bswap32 (i32.load offset=1668 (i32.const 0))))
    (i32.store offset=8 (local.get $out) (call $bswap32 (i32.load offset=1672 (i32.const 0))))
    (i32.store offset=12 (local.get $out) (call $bswap32 (i32.load offset=1676 (i32.const 0))))
    (i32.store offset=16 (local.get $out) (call $bswap32 (i32.load offset=1680 (i32.const 0))))
    (i32.store offset=20 (local.get $out) (call $bswap32 (i32.load offset=1684 (i32.const 0))))
    (i32.store offset=24 (local.get $out) (call $bswap32 (i32.load offset=1688 (i32.const 0))))
    (i32.store offset=28 (local.get $out) (call $bswap32 (i32.load offset=1692 (i32.const 0)))))

  ;; Zeroes W, H and the tail block, which hold words of the last message hashed: the memory lives as long
  ;; as the thread, and password-derived bytes have no reason to outlast the call that needed them.
  (func (export "clear_scratch")
    (memory.fill (i32.const 1024) (i32.const 0) (i32.const 1024)))

  ;; The SHA-crypt round loop: C (the $digest_len bytes at $c, 32 for SHA-256 or 64 for SHA-512) becomes,
  ;; for round = 0 .. $rounds-1, the digest of
  ;;   (odd round ? P : C) + (round % 3 ? S : nothing) + (round % 7 ? P : nothing) + (odd round ? C : P)
  ;; with P the $p_len bytes at $p and S the $s_len bytes at $s. Each message is assembled at $msg, which
  ;; must have room for 2 * $p_len + $s_len + $digest_len bytes and overlap none of the inputs.
  (func (export "crypt_rounds")
    (param $digest_len i32) (param $p i32) (param $p_len i32) (param $s i32) (param $s_len i32)
    (param $c i32) (param $rounds i32) (param $msg i32)
    (local $round i32) (local $len i32) (local $odd i32)
    (if (i32.and
          (i32.ne (local.get $digest_len) (i32.const 32))
          (i32.ne (local.get $digest_len) (i32.const 64)))
      (then (unreachable)))
    (block $done
      (loop $each_round
        (br_if $done (i32.ge_u (local.get $round) (local.get $rounds)))
        (local.set $odd (i32.and (local.get $round) (i32.const 1)))
        (if (local.get $odd)
          (then
            (memory.copy (local.get $msg) (local.get $p) (local.get $p_len))
            (local.set $len (local.get $p_len)))
          (else
            (memory.copy (local.get $msg) (local.get $c) (local.get $digest_len))
            (local.set $len (local.get $digest_len))))
        (if (i32.rem_u (local.get $round) (i32.const 3))
          (then
            (memory.copy (i32.add (local.get $msg) (local.get $len)) (local.get $s) (local.get $s_len))
            (local.set $len (i32.add (local.get $len) (local.get $s_len)))))
        (if (i32.rem_u (local.get $round) (i32.const 7))
          (then
            (memory.copy (i32.add (local.get $msg) (local.get $len)) (local.get $p) (local.get $p_len))
            (local.set $len (i32.add (local.get $len) (local.get $p_len)))))
        (if (local.get $odd)
          (then
            (memory.copy (i32.add (local.get $msg) (local.get $len)) (local.get $c) (local.get $digest_len))
            (local.set $len (i32.add (local.get $len) (local.get $digest_len))))
          (else
            (memory.copy (i32.add (local.get $msg) (local.get $len)) (local.get $p) (local.get $p_len))
            (local.set $len (i32.add (local.get $len) (local.get $p_len)))))
        (if (i32.eq (local.get $digest_len) (i32.const 64))
          (then (call $sha512 (local.get $msg) (local.get $len) (local.get $c)))
          (else (call $sha256 (local.get $msg) (local.get $len) (local.get $c))))
        (local.set $round (i32.add (local.get $round) (i32.const 1)))
        (br $each_round))))
)
