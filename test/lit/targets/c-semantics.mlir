// RUN: pelemay-opt %s -t c | filecheck %s

// Operations C leaves undefined go through helpers with defined results.
// CHECK:      int ops_run(const int8_t *a, const int8_t *b, const float *f, const uint16_t *h, int8_t *o, int32_t *q, uint16_t *r, void *arena);
// CHECK:      static inline float pl_f16_to_f32(uint16_t h)
// CHECK:      static inline uint16_t pl_f32_to_f16(float f)
// CHECK:      static inline float pl_f16_round(float f)
// CHECK:      static inline int8_t pl_addi_i8(int8_t a, int8_t b)
// CHECK-NEXT: {
// CHECK-NEXT:     return (int8_t)((uint8_t)((uint32_t)(uint8_t)a + (uint32_t)(uint8_t)b));

// Division, shifts and float-to-integer conversions arrive legalized
// (passes/legalize.py): the printer prints C's operator on safe operands.
// CHECK:          const int8_t s = pl_addi_i8(x, y);
// CHECK-NEXT:     const uint8_t [[ZERO:v.*]] = y == 0;
// CHECK-NEXT:     const uint8_t [[M1:v.*]] = y == (-1);
// CHECK-NEXT:     const uint8_t [[BAD:v.*]] = (uint8_t)([[ZERO]] | [[M1]]);
// CHECK-NEXT:     const int8_t [[DIVISOR:v.*]] = [[BAD]] ? 1 : y;
// CHECK-NEXT:     const int8_t [[Q:v.*]] = (int8_t)(s / [[DIVISOR]]);
// CHECK-NEXT:     const int8_t [[NEG:v.*]] = pl_subi_i8(0, s);
// CHECK-NEXT:     const int8_t [[Q2:v.*]] = [[M1]] ? [[NEG]] : [[Q]];
// CHECK-NEXT:     const int8_t d = [[ZERO]] ? 0 : [[Q2]];
// CHECK-NEXT:     const int8_t sh = (int8_t)(d < 0 ? ~(~d >> (uint8_t)7) : d >> (uint8_t)7);
// CHECK-NEXT:     o[i] = sh;
// CHECK:          const uint8_t [[LOW:v.*]] = fv <= (-2.1474836e+09f);
// CHECK-NEXT:     const uint8_t [[HIGH:v.*]] = fv >= 2.1474836e+09f;
// CHECK-NEXT:     const uint8_t [[NAN:v.*]] = (fv != fv || fv != fv);
// CHECK:          const float [[SAFE:v.*]] = {{v.*}} ? 0.0f : fv;
// CHECK-NEXT:     const int32_t [[I:v.*]] = (int32_t)[[SAFE]];
// CHECK-NEXT:     const int32_t [[I1:v.*]] = [[NAN]] ? 0 : [[I]];
// CHECK-NEXT:     const int32_t [[I2:v.*]] = [[LOW]] ? INT32_MIN : [[I1]];
// CHECK-NEXT:     const int32_t n = [[HIGH]] ? 2147483647 : [[I2]];
// CHECK:          const uint8_t [[LE:v.*]] = fv <= 0.0f;
// CHECK-NEXT:     const float m = [[LE]] ? 0.0f : fv;
// CHECK-NEXT:     const float hv = pl_f16_to_f32(h[i]);
// CHECK-NEXT:     const float m16 = pl_f16_round(m);
// CHECK-NEXT:     const float [[P:v.*]] = hv * m16;
// CHECK-NEXT:     const float hm = pl_f16_round([[P]]);
// CHECK-NEXT:     r[i] = pl_f32_to_f16(hm);

func.func @ops(%a: memref<8xi8>, %b: memref<8xi8>, %f: memref<8xf32>, %h: memref<8xf16>,
               %o: memref<8xi8>, %q: memref<8xi32>, %r: memref<8xf16>)
    attributes {pelemay.entry, pelemay.num_inputs = 4 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %nine = arith.constant 9 : i8
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xi8>
    %y = memref.load %b[%i] : memref<8xi8>
    %s = arith.addi %x, %y : i8
    %d = arith.divsi %s, %y : i8
    %sh = arith.shrsi %d, %nine : i8
    memref.store %sh, %o[%i] : memref<8xi8>
    %fv = memref.load %f[%i] : memref<8xf32>
    %n = arith.fptosi %fv : f32 to i32
    memref.store %n, %q[%i] : memref<8xi32>
    %m = arith.maximumf %fv, %zero : f32
    %hv = memref.load %h[%i] : memref<8xf16>
    %m16 = arith.truncf %m : f32 to f16
    %hm = arith.mulf %hv, %m16 : f16
    memref.store %hm, %r[%i] : memref<8xf16>
  }
  func.return
}
