;; Distance kernels over 128-bit SIMD lanes, for vectors that live in a shared WebAssembly
;; memory (see simd-memory.ts). Every function takes the byte offsets of two f32 vectors and
;; their dimension; lanes accumulate four products at a time, a scalar loop takes the tail.
;; Results are f32 sums in another order than the exact kernels (distance.ts): they rank a
;; graph walk, and the walk recomputes the distances it reports with the exact kernels.
;;
;; Compiled to simd-kernels-wasm.ts by scripts/compile-wasm.mjs; a test checks the two agree.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Σ(a−b)²: sixteen floats per step over four independent sums (one sum would make every
  ;; step wait for the previous add), then four at a time, then one.
  (func $l2 (export "l2") (param $a i32) (param $b i32) (param $dim i32) (result f32)
    (local $end16 i32) (local $end4 i32) (local $end i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $d v128)
    (local $s f32) (local $x f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $dim) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const -4)) (i32.const 2))))
    (local.set $end16 (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const -16)) (i32.const 2))))
    (block $wide_done
      (loop $wide
        (br_if $wide_done (i32.ge_u (local.get $a) (local.get $end16)))
        (local.set $d (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b))))
        (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b))))
        (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b))))
        (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (br $wide)))
    (block $lanes_done
      (loop $lanes
        (br_if $lanes_done (i32.ge_u (local.get $a) (local.get $end4)))
        (local.set $d (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $lanes)))
    (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1)) (f32x4.add (local.get $s2) (local.get $s3))))
    (local.set $s
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
        (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $x (f32.sub (f32.load (local.get $a)) (f32.load (local.get $b))))
        (local.set $s (f32.add (local.get $s) (f32.mul (local.get $x) (local.get $x))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $tail)))
    (local.get $s))

  ;; −Σab (0 − s, so an orthogonal pair gives +0 as the exact kernel does); steps as in $l2
  (func $negDot (export "negDot") (param $a i32) (param $b i32) (param $dim i32) (result f32)
    (local $end16 i32) (local $end4 i32) (local $end i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $s f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $dim) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const -4)) (i32.const 2))))
    (local.set $end16 (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const -16)) (i32.const 2))))
    (block $wide_done
      (loop $wide
        (br_if $wide_done (i32.ge_u (local.get $a) (local.get $end16)))
        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $s1
          (f32x4.add (local.get $s1) (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))))
        (local.set $s2
          (f32x4.add (local.get $s2) (f32x4.mul (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b)))))
        (local.set $s3
          (f32x4.add (local.get $s3) (f32x4.mul (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (br $wide)))
    (block $lanes_done
      (loop $lanes
        (br_if $lanes_done (i32.ge_u (local.get $a) (local.get $end4)))
        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $lanes)))
    (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1)) (f32x4.add (local.get $s2) (local.get $s3))))
    (local.set $s
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
        (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $tail)))
    (f32.sub (f32.const 0) (local.get $s)))

  ;; 1 − ab/√(|a|²|b|²), or 1 when that denominator is below f32 epsilon (2^-23)
  (func $cosine (export "cosine") (param $a i32) (param $b i32) (param $dim i32) (result f32)
    (local $end4 i32) (local $end i32) (local $va v128) (local $vb v128)
    (local $dot v128) (local $na v128) (local $nb v128)
    (local $x f32) (local $y f32) (local $sd f32) (local $sa f32) (local $sb f32) (local $den f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $dim) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const -4)) (i32.const 2))))
    (block $lanes_done
      (loop $lanes
        (br_if $lanes_done (i32.ge_u (local.get $a) (local.get $end4)))
        (local.set $va (v128.load (local.get $a)))
        (local.set $vb (v128.load (local.get $b)))
        (local.set $dot (f32x4.add (local.get $dot) (f32x4.mul (local.get $va) (local.get $vb))))
        (local.set $na (f32x4.add (local.get $na) (f32x4.mul (local.get $va) (local.get $va))))
        (local.set $nb (f32x4.add (local.get $nb) (f32x4.mul (local.get $vb) (local.get $vb))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $lanes)))
    (local.set $sd
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $dot)) (f32x4.extract_lane 1 (local.get $dot)))
        (f32.add (f32x4.extract_lane 2 (local.get $dot)) (f32x4.extract_lane 3 (local.get $dot)))))
    (local.set $sa
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $na)) (f32x4.extract_lane 1 (local.get $na)))
        (f32.add (f32x4.extract_lane 2 (local.get $na)) (f32x4.extract_lane 3 (local.get $na)))))
    (local.set $sb
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $nb)) (f32x4.extract_lane 1 (local.get $nb)))
        (f32.add (f32x4.extract_lane 2 (local.get $nb)) (f32x4.extract_lane 3 (local.get $nb)))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $x (f32.load (local.get $a)))
        (local.set $y (f32.load (local.get $b)))
        (local.set $sd (f32.add (local.get $sd) (f32.mul (local.get $x) (local.get $y))))
        (local.set $sa (f32.add (local.get $sa) (f32.mul (local.get $x) (local.get $x))))
        (local.set $sb (f32.add (local.get $sb) (f32.mul (local.get $y) (local.get $y))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $tail)))
    (local.set $den (f32.sqrt (f32.mul (local.get $sa) (local.get $sb))))
    (if (result f32) (f32.lt (local.get $den) (f32.const 0x1p-23))
      (then (f32.const 1))
      (else (f32.sub (f32.const 1) (f32.div (local.get $sd) (local.get $den))))))

;; ---------------------------------------------------------------- loading rows
  ;; Copies the floats of $n records, $stride bytes apart from byte $src, to consecutive rows
  ;; of $row bytes from byte $dst: VEC records read from a file into this memory go to the
  ;; vector array with one bulk copy each (byte copies: every bit pattern kept).
  (func (export "gather") (param $src i32) (param $stride i32) (param $dst i32) (param $row i32) (param $n i32)
    (block $done
      (loop $rows
        (br_if $done (i32.eqz (local.get $n)))
        (memory.copy (local.get $dst) (local.get $src) (local.get $row))
        (local.set $src (i32.add (local.get $src) (local.get $stride)))
        (local.set $dst (i32.add (local.get $dst) (local.get $row)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $rows))))

  ;; ---------------------------------------------------------------- exact scans
  ;; An exact scan's first pass: the $kk nearest of vectors 0..$count of the array at byte
  ;; $vbase (row after row, $dim floats each) to the query (at byte 0, the scratch area), by
  ;; SIMD distance, equal distances by ordinal. They are left at byte $heap as $kk u64 keys
  ;; (unordered; see $rankKey); the caller recomputes their distances with the exact kernels
  ;; (exact.ts). Returns how many there are (min($kk, $count)). $metric: 0 l2, 1 inner
  ;; product, 2 cosine.
  (func (export "scanTop") (param $vbase i32) (param $dim i32) (param $metric i32)
    (param $count i32) (param $kk i32) (param $heap i32) (result i32)
    (local $row i32) (local $a i32) (local $o i32) (local $n i32) (local $key i64)
    (local.set $row (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $a (local.get $vbase))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $o) (local.get $count)))
        (local.set $key
          (call $rankKey
            (if (result f32) (i32.eqz (local.get $metric))
              (then (call $l2 (local.get $a) (i32.const 0) (local.get $dim)))
              (else
                (if (result f32) (i32.eq (local.get $metric) (i32.const 1))
                  (then (call $negDot (local.get $a) (i32.const 0) (local.get $dim)))
                  (else (call $cosine (local.get $a) (i32.const 0) (local.get $dim))))))
            (local.get $o)))
        (if (i32.lt_u (local.get $n) (local.get $kk))
          (then
            (call $keyPush (local.get $heap) (local.get $n) (local.get $key))
            (local.set $n (i32.add (local.get $n) (i32.const 1))))
          (else
            ;; The root is the worst kept: a row must beat it to get in.
            (if (i64.lt_u (local.get $key) (i64.load (local.get $heap)))
              (then (call $keyReplaceTop (local.get $heap) (local.get $n) (local.get $key))))))
        (local.set $a (i32.add (local.get $a) (local.get $row)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $rows)))
    (local.get $n))

  ;; (distance, ordinal) as one u64 that orders like the pair: the distance's bits made to
  ;; order as unsigned integers (negatives flipped, positives given the top bit; NaN as +inf)
  ;; above the ordinal.
  (func $rankKey (param $d f32) (param $o i32) (result i64)
    (local $u i32)
    ;; + 0 makes −0 +0: the two are equal distances, ordered by ordinal alone.
    (local.set $u (i32.reinterpret_f32 (f32.add (call $sane (local.get $d)) (f32.const 0))))
    (local.set $u
      (select
        (i32.xor (local.get $u) (i32.const -1))
        (i32.or (local.get $u) (i32.const 0x80000000))
        (i32.lt_s (local.get $u) (i32.const 0))))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $u)) (i64.const 32)) (i64.extend_i32_u (local.get $o))))

  ;; Max-heap of u64 keys at byte $h holding $n: adds $key.
  (func $keyPush (param $h i32) (param $n i32) (param $key i64)
    (local $i i32) (local $p i32) (local $pa i32)
    (local.set $i (local.get $n))
    (block $done
      (loop $up
        (br_if $done (i32.eqz (local.get $i)))
        (local.set $p (i32.shr_u (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)))
        (local.set $pa (i32.add (local.get $h) (i32.shl (local.get $p) (i32.const 3))))
        (br_if $done (i64.ge_u (i64.load (local.get $pa)) (local.get $key)))
        (i64.store (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 3))) (i64.load (local.get $pa)))
        (local.set $i (local.get $p))
        (br $up)))
    (i64.store (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 3))) (local.get $key)))

  ;; The same heap (of $n > 0 keys): replaces its largest with $key.
  (func $keyReplaceTop (param $h i32) (param $n i32) (param $key i64)
    (local $i i32) (local $l i32) (local $c i32) (local $ca i32)
    (block $done
      (loop $down
        (local.set $l (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $l) (local.get $n)))
        (local.set $c (local.get $l))
        (if (i32.lt_u (i32.add (local.get $l) (i32.const 1)) (local.get $n))
          (then
            (if (i64.gt_u
                  (i64.load (i32.add (local.get $h) (i32.shl (i32.add (local.get $l) (i32.const 1)) (i32.const 3))))
                  (i64.load (i32.add (local.get $h) (i32.shl (local.get $l) (i32.const 3)))))
              (then (local.set $c (i32.add (local.get $l) (i32.const 1)))))))
        (local.set $ca (i32.add (local.get $h) (i32.shl (local.get $c) (i32.const 3))))
        (br_if $done (i64.le_u (i64.load (local.get $ca)) (local.get $key)))
        (i64.store (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 3))) (i64.load (local.get $ca)))
        (local.set $i (local.get $c))
        (br $down)))
    (i64.store (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 3))) (local.get $key)))

  ;; ---------------------------------------------------------------- the graph walk
  ;; An HNSW search (hnswlib's greedy descent, then its level-0 beam search) over a graph laid
  ;; out by simd-walk.ts in this memory, for walks with no filter to ask (deleted members are
  ;; known here): the whole query runs here, with no call back into JavaScript.
  ;;
  ;; Layout (byte offsets, set by $walk's caller; see graph-layout.ts, which GraphWalker's
  ;; TypeScript walk reads too): $l0 each element's level-0 record at a fixed $stride (its
  ;; level|flags|c0 word as saved: level in bits 0-7, link count in bits 16-31; then its
  ;; links: no lookup before reading them), $g the upper levels' words (per element with any,
  ;; per level 1..L a count and its links), $s each element's word index in $g, $lab each
  ;; element's ordinal ($ident: every element's ordinal is its number, so $lab is not read
  ;; for vectors), $vis a u16 visit mark per element, $cand and $res two heaps of (f32
  ;; distance, i32 element) pairs, $batch room for one element's level-0 links, $del a byte
  ;; per element (1: deleted), or 0 when none is.

  (global $g (mut i32) (i32.const 0))
  (global $s (mut i32) (i32.const 0))
  (global $lab (mut i32) (i32.const 0))
  (global $vis (mut i32) (i32.const 0))
  (global $cand (mut i32) (i32.const 0))
  (global $res (mut i32) (i32.const 0))
  (global $csize (mut i32) (i32.const 0))
  (global $rsize (mut i32) (i32.const 0))
  (global $vbase (mut i32) (i32.const 0))
  (global $row (mut i32) (i32.const 0))
  (global $dim (mut i32) (i32.const 0))
  (global $metric (mut i32) (i32.const 0))
  (global $batch (mut i32) (i32.const 0))
  (global $l0 (mut i32) (i32.const 0))
  (global $stride (mut i32) (i32.const 0))
  (global $ident (mut i32) (i32.const 0))
  (global $del (mut i32) (i32.const 0))
  (global $touched (mut i32) (i32.const 0))

  (func (export "layout") (param $g i32) (param $s i32) (param $lab i32) (param $vis i32)
    (param $cand i32) (param $res i32) (param $batch i32) (param $l0 i32) (param $stride i32)
    (param $ident i32) (param $del i32)
    (global.set $del (local.get $del))
    (global.set $batch (local.get $batch))
    (global.set $l0 (local.get $l0))
    (global.set $stride (local.get $stride))
    (global.set $ident (local.get $ident))
    (global.set $g (local.get $g)) (global.set $s (local.get $s)) (global.set $lab (local.get $lab))
    (global.set $vis (local.get $vis)) (global.set $cand (local.get $cand)) (global.set $res (local.get $res)))

  (func $word (param $i i32) (result i32)
    (i32.load (i32.add (global.get $g) (i32.shl (local.get $i) (i32.const 2)))))

  ;; Distance from the query (scratch at byte 0) to element $e's vector.
  ;; Byte address of element $e's vector (its ordinal is its element number when $ident).
  (func $vecAt (param $e i32) (result i32)
    (i32.add (global.get $vbase)
      (i32.mul
        (select (local.get $e)
          (i32.load (i32.add (global.get $lab) (i32.shl (local.get $e) (i32.const 2))))
          (global.get $ident))
        (global.get $row))))

  (func $dist (param $e i32) (result f32)
    (local $a i32)
    (local.set $a (call $vecAt (local.get $e)))
    (if (result f32) (i32.eqz (global.get $metric))
      (then (call $l2 (local.get $a) (i32.const 0) (global.get $dim)))
      (else
        (if (result f32) (i32.eq (global.get $metric) (i32.const 1))
          (then (call $negDot (local.get $a) (i32.const 0) (global.get $dim)))
          (else (call $cosine (local.get $a) (i32.const 0) (global.get $dim)))))))

  ;; Min-heap push onto $cand.
  (func $cpush (param $d f32) (param $e i32)
    (local $i i32) (local $p i32) (local $pa i32) (local $ia i32)
    (local.set $i (global.get $csize))
    (global.set $csize (i32.add (local.get $i) (i32.const 1)))
    (block $done
      (loop $up
        (br_if $done (i32.eqz (local.get $i)))
        (local.set $p (i32.shr_u (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)))
        (local.set $pa (i32.add (global.get $cand) (i32.shl (local.get $p) (i32.const 3))))
        (br_if $done (f32.le (f32.load (local.get $pa)) (local.get $d)))
        (local.set $ia (i32.add (global.get $cand) (i32.shl (local.get $i) (i32.const 3))))
        (i64.store (local.get $ia) (i64.load (local.get $pa)))
        (local.set $i (local.get $p))
        (br $up)))
    (local.set $ia (i32.add (global.get $cand) (i32.shl (local.get $i) (i32.const 3))))
    (f32.store (local.get $ia) (local.get $d))
    (i32.store offset=4 (local.get $ia) (local.get $e)))

  ;; Min-heap pop from $cand: returns the top element (size must be > 0).
  (func $cpop (result i32)
    (local $top i32) (local $n i32) (local $d f32) (local $last i64) (local $i i32) (local $l i32)
    (local $c i32) (local $ca i32)
    (local.set $top (i32.load offset=4 (global.get $cand)))
    (local.set $n (i32.sub (global.get $csize) (i32.const 1)))
    (global.set $csize (local.get $n))
    (if (i32.eqz (local.get $n)) (then (return (local.get $top))))
    (local.set $last (i64.load (i32.add (global.get $cand) (i32.shl (local.get $n) (i32.const 3)))))
    (local.set $d (f32.reinterpret_i32 (i32.wrap_i64 (local.get $last))))
    (block $done
      (loop $down
        (local.set $l (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $l) (local.get $n)))
        (local.set $c (local.get $l))
        (if (i32.lt_u (i32.add (local.get $l) (i32.const 1)) (local.get $n))
          (then
            (if (f32.lt
                  (f32.load (i32.add (global.get $cand) (i32.shl (i32.add (local.get $l) (i32.const 1)) (i32.const 3))))
                  (f32.load (i32.add (global.get $cand) (i32.shl (local.get $l) (i32.const 3)))))
              (then (local.set $c (i32.add (local.get $l) (i32.const 1)))))))
        (local.set $ca (i32.add (global.get $cand) (i32.shl (local.get $c) (i32.const 3))))
        (br_if $done (f32.ge (f32.load (local.get $ca)) (local.get $d)))
        (i64.store (i32.add (global.get $cand) (i32.shl (local.get $i) (i32.const 3))) (i64.load (local.get $ca)))
        (local.set $i (local.get $c))
        (br $down)))
    (i64.store (i32.add (global.get $cand) (i32.shl (local.get $i) (i32.const 3))) (local.get $last))
    (local.get $top))

  ;; Max-heap push onto $res.
  (func $rpush (param $d f32) (param $e i32)
    (local $i i32) (local $p i32) (local $pa i32) (local $ia i32)
    (local.set $i (global.get $rsize))
    (global.set $rsize (i32.add (local.get $i) (i32.const 1)))
    (block $done
      (loop $up
        (br_if $done (i32.eqz (local.get $i)))
        (local.set $p (i32.shr_u (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)))
        (local.set $pa (i32.add (global.get $res) (i32.shl (local.get $p) (i32.const 3))))
        (br_if $done (f32.ge (f32.load (local.get $pa)) (local.get $d)))
        (local.set $ia (i32.add (global.get $res) (i32.shl (local.get $i) (i32.const 3))))
        (i64.store (local.get $ia) (i64.load (local.get $pa)))
        (local.set $i (local.get $p))
        (br $up)))
    (local.set $ia (i32.add (global.get $res) (i32.shl (local.get $i) (i32.const 3))))
    (f32.store (local.get $ia) (local.get $d))
    (i32.store offset=4 (local.get $ia) (local.get $e)))

  ;; Max-heap pop from $res (size must be > 0).
  (func $rpop
    (local $n i32) (local $d f32) (local $last i64) (local $i i32) (local $l i32) (local $c i32) (local $ca i32)
    (local.set $n (i32.sub (global.get $rsize) (i32.const 1)))
    (global.set $rsize (local.get $n))
    (if (i32.eqz (local.get $n)) (then (return)))
    (local.set $last (i64.load (i32.add (global.get $res) (i32.shl (local.get $n) (i32.const 3)))))
    (local.set $d (f32.reinterpret_i32 (i32.wrap_i64 (local.get $last))))
    (block $done
      (loop $down
        (local.set $l (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $l) (local.get $n)))
        (local.set $c (local.get $l))
        (if (i32.lt_u (i32.add (local.get $l) (i32.const 1)) (local.get $n))
          (then
            (if (f32.gt
                  (f32.load (i32.add (global.get $res) (i32.shl (i32.add (local.get $l) (i32.const 1)) (i32.const 3))))
                  (f32.load (i32.add (global.get $res) (i32.shl (local.get $l) (i32.const 3)))))
              (then (local.set $c (i32.add (local.get $l) (i32.const 1)))))))
        (local.set $ca (i32.add (global.get $res) (i32.shl (local.get $c) (i32.const 3))))
        (br_if $done (f32.le (f32.load (local.get $ca)) (local.get $d)))
        (i64.store (i32.add (global.get $res) (i32.shl (local.get $i) (i32.const 3))) (i64.load (local.get $ca)))
        (local.set $i (local.get $c))
        (br $down)))
    (i64.store (i32.add (global.get $res) (i32.shl (local.get $i) (i32.const 3))) (local.get $last)))

;; Max-heap: replaces the top of $res (size must be > 0) with ($d, $e) and sifts it down.
  (func $rreplace (param $d f32) (param $e i32)
    (local $n i32) (local $i i32) (local $l i32) (local $c i32) (local $ca i32) (local $ia i32)
    (local.set $n (global.get $rsize))
    (block $done
      (loop $down
        (local.set $l (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $l) (local.get $n)))
        (local.set $c (local.get $l))
        (if (i32.lt_u (i32.add (local.get $l) (i32.const 1)) (local.get $n))
          (then
            (if (f32.gt
                  (f32.load (i32.add (global.get $res) (i32.shl (i32.add (local.get $l) (i32.const 1)) (i32.const 3))))
                  (f32.load (i32.add (global.get $res) (i32.shl (local.get $l) (i32.const 3)))))
              (then (local.set $c (i32.add (local.get $l) (i32.const 1)))))))
        (local.set $ca (i32.add (global.get $res) (i32.shl (local.get $c) (i32.const 3))))
        (br_if $done (f32.le (f32.load (local.get $ca)) (local.get $d)))
        (i64.store (i32.add (global.get $res) (i32.shl (local.get $i) (i32.const 3))) (i64.load (local.get $ca)))
        (local.set $i (local.get $c))
        (br $down)))
    (local.set $ia (i32.add (global.get $res) (i32.shl (local.get $i) (i32.const 3))))
    (f32.store (local.get $ia) (local.get $d))
    (i32.store offset=4 (local.get $ia) (local.get $e)))

;; Deleted members are walked through but never kept ($del: a byte per element, or 0: none).
  (func $keep (param $e i32) (result i32)
    (i32.or (i32.eqz (global.get $del))
      (i32.eqz (i32.load8_u (i32.add (global.get $del) (local.get $e))))))

  ;; NaN (only from NaN or infinite vectors) ranks as farthest.
  (func $sane (param $d f32) (result f32)
    (select (local.get $d) (f32.const inf) (f32.eq (local.get $d) (local.get $d))))

  ;; Searches for the $ef nearest members, leaving them in the $res heap (farthest on top), and
  ;; returns how many there are; or −1 − e when element e links outside the graph.
  (func (export "walk")
    (param $vbase i32) (param $dim i32) (param $metric i32) (param $count i32) (param $m i32)
    (param $entry i32) (param $maxLevel i32) (param $ef i32) (param $epoch i32) (result i32)
    (local $cur i32) (local $curD f32) (local $level i32) (local $changed i32) (local $q i32)
    (local $l i32) (local $c i32) (local $j i32) (local $t i32) (local $d f32) (local $id i32)
    (local $end i32) (local $bound f32) (local $va i32) (local $nb i32) (local $touch i32)
    (local $lineEnd i32) (local $bp i32)
    (global.set $vbase (local.get $vbase))
    (global.set $dim (local.get $dim))
    (global.set $row (i32.shl (local.get $dim) (i32.const 2)))
    (global.set $metric (local.get $metric))
    (global.set $csize (i32.const 0))
    (global.set $rsize (i32.const 0))
    (local.set $cur (local.get $entry))
    (local.set $curD (call $sane (call $dist (local.get $cur))))
    ;; Greedy descent through the upper levels.
    (local.set $level (local.get $maxLevel))
    (block $levels_done
      (loop $levels
        (br_if $levels_done (i32.le_s (local.get $level) (i32.const 0)))
        (loop $improve
          (local.set $changed (i32.const 0))
          ;; An element below this level (only a damaged graph links to one) has no links
          ;; here; reading on would run into the next element's records.
          (local.set $c (i32.const 0))
          (if (i32.ge_u
                (i32.and (i32.load (i32.add (global.get $l0) (i32.mul (local.get $cur) (global.get $stride))))
                  (i32.const 0xff))
                (local.get $level))
            (then
              (local.set $q (i32.load (i32.add (global.get $s) (i32.shl (local.get $cur) (i32.const 2)))))
              (local.set $l (i32.const 1))
              (block $skip_done
                (loop $skip
                  (br_if $skip_done (i32.ge_s (local.get $l) (local.get $level)))
                  (local.set $q (i32.add (local.get $q) (i32.add (i32.const 1) (call $word (local.get $q)))))
                  (local.set $l (i32.add (local.get $l) (i32.const 1)))
                  (br $skip)))
              (local.set $c (call $word (local.get $q)))
              (if (i32.gt_u (local.get $c) (local.get $m)) (then (local.set $c (local.get $m))))))
          (local.set $j (i32.const 1))
          (block $links_done
            (loop $links
              (br_if $links_done (i32.gt_u (local.get $j) (local.get $c)))
              (local.set $t (call $word (i32.add (local.get $q) (local.get $j))))
              (if (i32.ge_u (local.get $t) (local.get $count))
                (then (return (i32.sub (i32.const -1) (local.get $cur)))))
              (local.set $d (call $sane (call $dist (local.get $t))))
              (if (f32.lt (local.get $d) (local.get $curD))
                (then
                  (local.set $curD (local.get $d))
                  (local.set $cur (local.get $t))
                  (local.set $changed (i32.const 1))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $links)))
          (br_if $improve (local.get $changed)))
        (local.set $level (i32.sub (local.get $level) (i32.const 1)))
        (br $levels)))
    ;; Beam search over level 0.
    (i32.store16 (i32.add (global.get $vis) (i32.shl (local.get $cur) (i32.const 1))) (local.get $epoch))
    (call $cpush (local.get $curD) (local.get $cur))
    (local.set $bound (f32.const inf))
    (if (call $keep (local.get $cur))
      (then
        (call $rpush (local.get $curD) (local.get $cur))
        (local.set $bound (local.get $curD))))
    (block $beam_done
      (loop $beam
        (br_if $beam_done (i32.eqz (global.get $csize)))
        (br_if $beam_done
          (i32.and
            (f32.gt (f32.load (global.get $cand)) (local.get $bound))
            (i32.ge_u (global.get $rsize) (local.get $ef))))
        (local.set $id (call $cpop))
        ;; The element's level-0 record: its level|flags|count word, then its links (bytes
        ;; from here on).
        (local.set $q (i32.add (global.get $l0) (i32.mul (local.get $id) (global.get $stride))))
        (local.set $end
          (i32.add (i32.add (local.get $q) (i32.const 4))
            (i32.shl (i32.shr_u (i32.load (local.get $q)) (i32.const 16)) (i32.const 2))))
        ;; Two passes over the links: the first marks the unvisited ones and touches every
        ;; cache line of each one's vector, so those independent misses are in flight
        ;; together (what hnswlib's prefetches achieve; WebAssembly has no prefetch); the
        ;; second computes their distances from lines already arriving. At 100k × 128 this
        ;; took the walk from about 1.4× hnswlib's time per query to parity.
        (local.set $nb (i32.const 0))
        (local.set $j (i32.add (local.get $q) (i32.const 4)))
        (block $mark_done
          (loop $mark
            (br_if $mark_done (i32.ge_u (local.get $j) (local.get $end)))
            (local.set $t (i32.load (local.get $j)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (if (i32.ge_u (local.get $t) (local.get $count))
              (then (return (i32.sub (i32.const -1) (local.get $id)))))
            (local.set $va (i32.add (global.get $vis) (i32.shl (local.get $t) (i32.const 1))))
            (br_if $mark (i32.eq (i32.load16_u (local.get $va)) (local.get $epoch)))
            (i32.store16 (local.get $va) (local.get $epoch))
            ;; The batch holds (element, vector address) pairs: the pass below needs both.
            (local.set $va
              (i32.add (global.get $vbase)
                (i32.mul
                  (select (local.get $t)
                    (i32.load (i32.add (global.get $lab) (i32.shl (local.get $t) (i32.const 2))))
                    (global.get $ident))
                  (global.get $row))))
            (local.set $bp (i32.add (global.get $batch) (i32.shl (local.get $nb) (i32.const 3))))
            (i32.store (local.get $bp) (local.get $t))
            (i32.store offset=4 (local.get $bp) (local.get $va))
            (local.set $nb (i32.add (local.get $nb) (i32.const 1)))
            (local.set $lineEnd (i32.add (local.get $va) (global.get $row)))
            (block $lines_done
              (loop $lines
                (local.set $touch (i32.xor (local.get $touch) (i32.load (local.get $va))))
                (local.set $va (i32.add (local.get $va) (i32.const 64)))
                (br_if $lines (i32.lt_u (local.get $va) (local.get $lineEnd)))))
            (br $mark)))
        (local.set $j (i32.const 0))
        (block $next_done
          (loop $next
            (br_if $next_done (i32.ge_u (local.get $j) (local.get $nb)))
            ;; The hot loop of every query: the helpers it would call ($dist, $vecAt, $keep,
            ;; $sane) are written out here, since this engine does not inline WebAssembly calls.
            (local.set $bp (i32.add (global.get $batch) (i32.shl (local.get $j) (i32.const 3))))
            (local.set $t (i32.load (local.get $bp)))
            (local.set $va (i32.load offset=4 (local.get $bp)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (local.set $d
              (if (result f32) (i32.eqz (global.get $metric))
                (then (call $l2 (local.get $va) (i32.const 0) (global.get $dim)))
                (else
                  (if (result f32) (i32.eq (global.get $metric) (i32.const 1))
                    (then (call $negDot (local.get $va) (i32.const 0) (global.get $dim)))
                    (else (call $cosine (local.get $va) (i32.const 0) (global.get $dim)))))))
            (local.set $d (select (local.get $d) (f32.const inf) (f32.eq (local.get $d) (local.get $d))))
            (if (i32.or (i32.lt_u (global.get $rsize) (local.get $ef)) (f32.lt (local.get $d) (local.get $bound)))
              (then
                (call $cpush (local.get $d) (local.get $t))
                (if (i32.or (i32.eqz (global.get $del))
                      (i32.eqz (i32.load8_u (i32.add (global.get $del) (local.get $t)))))
                  (then
                    ;; A full result heap swaps its farthest for this one (d < bound, so the
                    ;; farthest is the one a push and a pop would drop) in one sift.
                    (if (i32.lt_u (global.get $rsize) (local.get $ef))
                      (then (call $rpush (local.get $d) (local.get $t)))
                      (else (call $rreplace (local.get $d) (local.get $t))))
                    (local.set $bound (f32.load (global.get $res)))))))
            (br $next)))
        (br $beam)))
    ;; The touched words feed a global, so no engine can drop those loads as unused.
    (global.set $touched (local.get $touch))
    (global.get $rsize))

  ;; Pops the $res heap down to $k entries, then writes them nearest first as (f32 distance,
  ;; u32 ordinal) pairs at byte $out; returns how many.
  (func (export "results") (param $k i32) (param $out i32) (result i32)
    (local $n i32) (local $i i32) (local $a i32)
    (block $trim_done
      (loop $trim
        (br_if $trim_done (i32.le_u (global.get $rsize) (local.get $k)))
        (call $rpop)
        (br $trim)))
    (local.set $n (global.get $rsize))
    (local.set $i (local.get $n))
    (block $done
      (loop $drain
        (br_if $done (i32.eqz (local.get $i)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $a (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3))))
        (f32.store (local.get $a) (f32.load (global.get $res)))
        (i32.store offset=4 (local.get $a)
          (i32.load (i32.add (global.get $lab) (i32.shl (i32.load offset=4 (global.get $res)) (i32.const 2)))))
        (call $rpop)
        (br $drain)))
    (local.get $n))

  ;; ---------------------------------------------------------------- laying out a saved graph
  ;; graph-layout.ts's fillElements for the walk's layout, in one call per chunk of the graph
  ;; body instead of a typed-array copy per element from JavaScript (which, run once in a fresh
  ;; process, is most of the time from open to the first walked query). The body has passed
  ;; checkGraph. Elements $from..$to are read from the $words words at byte $src (element
  ;; $from's record first) while each fits wholly: its label goes to $lab, its level|flags|c0
  ;; word and level-0 links to $l0 at a stride of $stride bytes, its upper levels to $g at word
  ;; $fillUpper (advanced) with that word index in $s, its deleted flag to the byte at $del.
  ;; Returns the element it stopped at; $fillUsed is then the words consumed, $fillIdent 0 if an
  ;; element's label is not its number, $fillDeleted 1 if one is deleted.
  (global $fillUsed (export "fillUsed") (mut i32) (i32.const 0))
  (global $fillUpper (export "fillUpper") (mut i32) (i32.const 0))
  (global $fillIdent (export "fillIdent") (mut i32) (i32.const 1))
  (global $fillDeleted (export "fillDeleted") (mut i32) (i32.const 0))

  (func (export "fill") (param $src i32) (param $words i32) (param $from i32) (param $to i32)
    (param $l0 i32) (param $stride i32) (param $g i32) (param $s i32) (param $lab i32) (param $del i32)
    (result i32)
    (local $i i32) (local $p i32) (local $q i32) (local $at i32) (local $label i32) (local $w i32)
    (local $c0 i32) (local $n i32) (local $upFrom i32) (local $flag i32)
    (local.set $i (local.get $from))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $to)))
        (br_if $done (i32.gt_u (i32.add (local.get $p) (i32.const 2)) (local.get $words)))
        (local.set $at (i32.add (local.get $src) (i32.shl (local.get $p) (i32.const 2))))
        (local.set $label (i32.load (local.get $at)))
        (local.set $w (i32.load offset=4 (local.get $at)))
        (local.set $c0 (i32.shr_u (local.get $w) (i32.const 16)))
        (local.set $upFrom (i32.add (i32.add (local.get $p) (i32.const 2)) (local.get $c0)))
        ;; The record ends after its upper levels, each a count and that many links.
        (local.set $q (local.get $upFrom))
        (local.set $n (i32.and (local.get $w) (i32.const 0xff)))
        (block $levels_done
          (loop $levels
            (br_if $levels_done (i32.eqz (local.get $n)))
            (br_if $done (i32.ge_u (local.get $q) (local.get $words)))
            (local.set $q
              (i32.add (local.get $q)
                (i32.add (i32.const 1)
                  (i32.load (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 2)))))))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $levels)))
        (br_if $done (i32.gt_u (local.get $q) (local.get $words)))
        (i32.store (i32.add (local.get $lab) (i32.shl (local.get $i) (i32.const 2))) (local.get $label))
        (memory.copy
          (i32.add (local.get $l0) (i32.mul (local.get $i) (local.get $stride)))
          (i32.add (local.get $at) (i32.const 4))
          (i32.shl (i32.add (local.get $c0) (i32.const 1)) (i32.const 2)))
        (if (i32.gt_u (local.get $q) (local.get $upFrom))
          (then
            (i32.store (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 2))) (global.get $fillUpper))
            (memory.copy
              (i32.add (local.get $g) (i32.shl (global.get $fillUpper) (i32.const 2)))
              (i32.add (local.get $src) (i32.shl (local.get $upFrom) (i32.const 2)))
              (i32.shl (i32.sub (local.get $q) (local.get $upFrom)) (i32.const 2)))
            (global.set $fillUpper
              (i32.add (global.get $fillUpper) (i32.sub (local.get $q) (local.get $upFrom))))))
        (local.set $flag (i32.and (i32.shr_u (local.get $w) (i32.const 8)) (i32.const 1)))
        (i32.store8 (i32.add (local.get $del) (local.get $i)) (local.get $flag))
        (global.set $fillDeleted (i32.or (global.get $fillDeleted) (local.get $flag)))
        (if (i32.ne (local.get $label) (local.get $i)) (then (global.set $fillIdent (i32.const 0))))
        (local.set $p (local.get $q))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (global.set $fillUsed (local.get $p))
    (local.get $i))

  ;; ---------------------------------------------------------------- the vector digest
  ;; digest.ts's VectorDigest chains, four lanes at a time: for elements $from..$to (their
  ;; vectors found as $walk finds them, so layout() first), every group of four words w
  ;; updates a ← (a ^ w)·P1 and b ← (b ^ w)·P2 lane by lane, and the words past the last group
  ;; update lane 0. The eight chain values are read from and written back to $state (bytes).
  (func (export "digest") (param $vbase i32) (param $dim i32) (param $from i32) (param $to i32) (param $state i32)
    (local $a v128) (local $b v128) (local $w v128) (local $p i32) (local $end4 i32) (local $end i32)
    (local $i i32) (local $a0 i32) (local $b0 i32) (local $x i32)
    (global.set $vbase (local.get $vbase))
    (global.set $row (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $a (v128.load (local.get $state)))
    (local.set $b (v128.load offset=16 (local.get $state)))
    (local.set $i (local.get $from))
    (block $done
      (loop $vectors
        (br_if $done (i32.ge_u (local.get $i) (local.get $to)))
        (local.set $p (call $vecAt (local.get $i)))
        (local.set $end (i32.add (local.get $p) (global.get $row)))
        (local.set $end4 (i32.add (local.get $p) (i32.shl (i32.and (local.get $dim) (i32.const -4)) (i32.const 2))))
        (block $groups_done
          (loop $groups
            (br_if $groups_done (i32.ge_u (local.get $p) (local.get $end4)))
            (local.set $w (v128.load (local.get $p)))
            (local.set $a (i32x4.mul (v128.xor (local.get $a) (local.get $w)) (v128.const i32x4 0x01000193 0x01000193 0x01000193 0x01000193)))
            (local.set $b (i32x4.mul (v128.xor (local.get $b) (local.get $w)) (v128.const i32x4 0x5bd1e995 0x5bd1e995 0x5bd1e995 0x5bd1e995)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $groups)))
        (if (i32.lt_u (local.get $p) (local.get $end))
          (then
            (local.set $a0 (i32x4.extract_lane 0 (local.get $a)))
            (local.set $b0 (i32x4.extract_lane 0 (local.get $b)))
            (block $tail_done
              (loop $tail
                (br_if $tail_done (i32.ge_u (local.get $p) (local.get $end)))
                (local.set $x (i32.load (local.get $p)))
                (local.set $a0 (i32.mul (i32.xor (local.get $a0) (local.get $x)) (i32.const 0x01000193)))
                (local.set $b0 (i32.mul (i32.xor (local.get $b0) (local.get $x)) (i32.const 0x5bd1e995)))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (br $tail)))
            (local.set $a (i32x4.replace_lane 0 (local.get $a) (local.get $a0)))
            (local.set $b (i32x4.replace_lane 0 (local.get $b) (local.get $b0)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $vectors)))
    (v128.store (local.get $state) (local.get $a))
    (v128.store offset=16 (local.get $state) (local.get $b)))
)
