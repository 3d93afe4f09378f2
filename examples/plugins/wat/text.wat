;; text: a Cairn plugin written by hand in WebAssembly text (plugin ABI version 1).
;;
;; Every function takes its arguments as one encoded list at (ptr, len) and returns the
;; encoded result as `ptr << 32 | len` (docs/plugins.md). Build: see README.md.
(module
  ;; The manifest: what Cairn reads before running any code.
  (@custom "cairn.manifest" "abi 1\nname text\n/// The text in upper case (ASCII letters only).\nfn shout(s: String) -> String\n/// `x` limited to `lo..=hi`.\nfn clamp(x: Int, lo: Int, hi: Int) -> Int\n")

  (memory (export "memory") 1)

  ;; The host calls cairn_alloc once before each call, for the arguments: every call starts
  ;; with an empty heap at 1024 (the bytes below are scratch space for results).
  (func (export "cairn_alloc") (param $n i32) (result i32)
    (if (i32.gt_u (i32.add (i32.const 1024) (local.get $n))
                  (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (memory.grow (i32.add (i32.shr_u (local.get $n) (i32.const 16)) (i32.const 1)))
                    (i32.const -1))
          (then unreachable))))
    (i32.const 1024))

  ;; shout(s): the arguments are [list tag][u32 1][string tag][u32 len][bytes]; the string is
  ;; upper-cased in place and returned from its tag on.
  (func (export "shout") (param $p i32) (param $n i32) (result i64)
    (local $i i32) (local $end i32) (local $c i32)
    (local.set $i (i32.add (local.get $p) (i32.const 10)))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
          (then (i32.store8 (local.get $i) (i32.sub (local.get $c) (i32.const 32)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.or
      (i64.shl (i64.extend_i32_u (i32.add (local.get $p) (i32.const 5))) (i64.const 32))
      (i64.extend_i32_u (i32.sub (local.get $n) (i32.const 5)))))

  ;; clamp(x, lo, hi): three Ints, each a tag and 8 bytes, after the 5-byte list header.
  (func (export "clamp") (param $p i32) (param $n i32) (result i64)
    (local $x i64) (local $lo i64) (local $hi i64)
    (local.set $x (i64.load (i32.add (local.get $p) (i32.const 6))))
    (local.set $lo (i64.load (i32.add (local.get $p) (i32.const 15))))
    (local.set $hi (i64.load (i32.add (local.get $p) (i32.const 24))))
    (if (i64.lt_s (local.get $x) (local.get $lo)) (then (local.set $x (local.get $lo))))
    (if (i64.gt_s (local.get $x) (local.get $hi)) (then (local.set $x (local.get $hi))))
    ;; The result, an Int, at 512: tag 3 and 8 bytes.
    (i32.store8 (i32.const 512) (i32.const 3))
    (i64.store (i32.const 513) (local.get $x))
    (i64.const 0x20000000009)))
