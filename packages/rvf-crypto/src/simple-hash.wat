;; The reference's simple hash (see simple-hash.ts) as one WebAssembly loop.
;;
;; Why WebAssembly for a loop this small: it runs over 64 KiB file tails on cold paths (a
;; branch, a child's open), where V8 may have thrown away the JavaScript version's compiled
;; code since its last call (bytecode flushing) and runs it interpreted, about ten times
;; slower. Compiled WebAssembly stays compiled.
;;
;; Memory layout: bytes [0, 32) hold the running 32-byte digest, bytes [32, 32 + n) the
;; chunk being hashed. The caller hashes long inputs in chunks whose lengths are multiples of
;; 32, so a byte's slot (its offset in the whole input mod 32) equals its offset in the
;; chunk mod 32.
(module
  (memory (export "memory") 2)
  (func (export "absorb") (param $n i32)
    (local $i i32)
    (local $k i32)
    (local $j i32)
    (local $v i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        ;; out[k] += data[i] (mod 256), k = i mod 32
        (local.set $k (i32.and (local.get $i) (i32.const 31)))
        (local.set $v
          (i32.and
            (i32.add (i32.load8_u (local.get $k)) (i32.load8_u offset=32 (local.get $i)))
            (i32.const 255)))
        (i32.store8 (local.get $k) (local.get $v))
        ;; out[j] += rotl8(out[k], 3) (mod 256: store8 keeps the low byte), j = (i + 13) mod 32
        (local.set $j (i32.and (i32.add (local.get $i) (i32.const 13)) (i32.const 31)))
        (i32.store8
          (local.get $j)
          (i32.add
            (i32.load8_u (local.get $j))
            (i32.or (i32.shl (local.get $v) (i32.const 3)) (i32.shr_u (local.get $v) (i32.const 5)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))))
