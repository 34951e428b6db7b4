;; Per-pixel loops of region sampling, in WebAssembly: the JS versions spend most of their
;; time on one bounds-checked byte load per source byte; here 16 bytes load at once.
;; Built into sampling.wasm by build.ts (`npm run kernels:build -w hub`); the test checks
;; that the committed binary is this text's build.
;;
;; Memory is laid out by the caller (load.ts); every offset is in bytes.
(module
  (memory (export "memory") 1)

  ;; Column sums of k rows: dst[i] = sum of src[r * stride + i] for r < k, as u16 (k <= 257),
  ;; for i < len rounded up to 16. Reads up to 15 bytes past each row's span: the caller
  ;; leaves that much room after the rows it copied in.
  (func (export "columnSums") (param $src i32) (param $stride i32) (param $k i32) (param $len i32) (param $dst i32)
    (local $i i32) (local $p i32) (local $r i32) (local $v v128) (local $lo v128) (local $hi v128) (local $out i32)
    (block $done
      (loop $columns
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $p (i32.add (local.get $src) (local.get $i)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
        (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
        (local.set $r (i32.const 1))
        (block $rows_done
          (loop $rows
            (br_if $rows_done (i32.ge_u (local.get $r) (local.get $k)))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $v (v128.load (local.get $p)))
            (local.set $lo (i16x8.add (local.get $lo) (i16x8.extend_low_i8x16_u (local.get $v))))
            (local.set $hi (i16x8.add (local.get $hi) (i16x8.extend_high_i8x16_u (local.get $v))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rows)))
        (local.set $out (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 1))))
        (v128.store (local.get $out) (local.get $lo))
        (v128.store offset=16 (local.get $out) (local.get $hi))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $columns))))

  ;; One output row of a k x k block average from column sums (see columnSums): for output
  ;; pixel x, xs[x] is the byte offset of its block's first column in the sums (-1: outside
  ;; the frame, written as 0, the mean). Channels c0 / 1 / c2 of each pixel go to three planes
  ;; `plane` bytes apart, as (sum * inv - mean) * scale, computed in f64 like the JS it replaced.
  (func (export "blockRow") (param $sums i32) (param $xs i32) (param $n i32) (param $k i32) (param $out i32) (param $plane i32)
        (param $c0 i32) (param $c2 i32) (param $inv f64)
        (param $m0 f64) (param $m1 f64) (param $m2 f64) (param $s0 f64) (param $s1 f64) (param $s2 f64)
    (local $x i32) (local $x0 i32) (local $j i32) (local $p i32) (local $a i32) (local $g i32) (local $b i32) (local $o i32)
    (local $off0 i32) (local $off2 i32)
    (local.set $off0 (i32.shl (local.get $c0) (i32.const 1)))
    (local.set $off2 (i32.shl (local.get $c2) (i32.const 1)))
    (block $done
      (loop $pixels
        (br_if $done (i32.ge_u (local.get $x) (local.get $n)))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $x) (i32.const 2))))
        (local.set $x0 (i32.load (i32.add (local.get $xs) (i32.shl (local.get $x) (i32.const 2)))))
        (if (i32.lt_s (local.get $x0) (i32.const 0))
          (then
            (f32.store (local.get $o) (f32.const 0))
            (f32.store (i32.add (local.get $o) (local.get $plane)) (f32.const 0))
            (f32.store (i32.add (local.get $o) (i32.shl (local.get $plane) (i32.const 1))) (f32.const 0)))
          (else
            (local.set $p (i32.add (local.get $sums) (i32.shl (local.get $x0) (i32.const 1))))
            (local.set $a (i32.const 0))
            (local.set $g (i32.const 0))
            (local.set $b (i32.const 0))
            (local.set $j (i32.const 0))
            (block $block_done
              (loop $block
                (br_if $block_done (i32.ge_u (local.get $j) (local.get $k)))
                (local.set $a (i32.add (local.get $a) (i32.load16_u (i32.add (local.get $p) (local.get $off0)))))
                (local.set $g (i32.add (local.get $g) (i32.load16_u offset=2 (local.get $p))))
                (local.set $b (i32.add (local.get $b) (i32.load16_u (i32.add (local.get $p) (local.get $off2)))))
                (local.set $p (i32.add (local.get $p) (i32.const 6)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $block)))
            (f32.store (local.get $o)
              (f32.demote_f64 (f64.mul (f64.sub (f64.mul (f64.convert_i32_u (local.get $a)) (local.get $inv)) (local.get $m0)) (local.get $s0))))
            (f32.store (i32.add (local.get $o) (local.get $plane))
              (f32.demote_f64 (f64.mul (f64.sub (f64.mul (f64.convert_i32_u (local.get $g)) (local.get $inv)) (local.get $m1)) (local.get $s1))))
            (f32.store (i32.add (local.get $o) (i32.shl (local.get $plane) (i32.const 1)))
              (f32.demote_f64 (f64.mul (f64.sub (f64.mul (f64.convert_i32_u (local.get $b)) (local.get $inv)) (local.get $m2)) (local.get $s2))))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $pixels))))
  ;; One output row copied pixel for pixel (a region of the model's size on whole pixels):
  ;; pixels [first, end) of the row from src (3 bytes each, src at the row's pixel `first`);
  ;; (byte - mean) * scale in f64 like the JS it replaced. The caller pads the rest.
  (func (export "copyRow") (param $src i32) (param $first i32) (param $end i32) (param $out i32) (param $plane i32)
        (param $c0 i32) (param $c2 i32)
        (param $m0 f64) (param $m1 f64) (param $m2 f64) (param $s0 f64) (param $s1 f64) (param $s2 f64)
    (local $x i32) (local $p i32) (local $o i32)
    (local.set $x (local.get $first))
    (local.set $p (local.get $src))
    (block $done
      (loop $pixels
        (br_if $done (i32.ge_s (local.get $x) (local.get $end)))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $x) (i32.const 2))))
        (f32.store (local.get $o)
          (f32.demote_f64 (f64.mul (f64.sub (f64.convert_i32_u (i32.load8_u (i32.add (local.get $p) (local.get $c0)))) (local.get $m0)) (local.get $s0))))
        (f32.store (i32.add (local.get $o) (local.get $plane))
          (f32.demote_f64 (f64.mul (f64.sub (f64.convert_i32_u (i32.load8_u offset=1 (local.get $p))) (local.get $m1)) (local.get $s1))))
        (f32.store (i32.add (local.get $o) (i32.shl (local.get $plane) (i32.const 1)))
          (f32.demote_f64 (f64.mul (f64.sub (f64.convert_i32_u (i32.load8_u (i32.add (local.get $p) (local.get $c2)))) (local.get $m2)) (local.get $s2))))
        (local.set $p (i32.add (local.get $p) (i32.const 3)))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $pixels))))
)
