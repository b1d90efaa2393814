// RUN: not pelemay-opt %s --split-input-file -t c 2>%t.err | filecheck %s
// RUN: filecheck %s --check-prefix=ERR --input-file %t.err

// Portable vectors print as GCC/Clang vector extensions: one typedef per
// vector type used (by width, float before its mask type), loads and stores
// through memcpy, operators for arithmetic and for the compares and selects
// that legalize writes max/min as (a mask is the i32 lanes a vector
// comparison gives), a pointer-taking helper for the lane-order sum.
// CHECK:      #include <string.h>
// CHECK-NOT:  arm_neon.h
// CHECK:      typedef float pelemay_f32x4 __attribute__((vector_size(16)));
// CHECK-NEXT: typedef int32_t pelemay_i32x4 __attribute__((vector_size(16)));
// CHECK-NEXT: typedef float pelemay_f32x8 __attribute__((vector_size(32)));
// CHECK-NEXT: typedef int32_t pelemay_i32x8 __attribute__((vector_size(32)));
// CHECK-NEXT: typedef float pelemay_f32x16 __attribute__((vector_size(64)));
// CHECK-NEXT: typedef int32_t pelemay_i32x16 __attribute__((vector_size(64)));
// CHECK-NOT:  typedef
// CHECK:      static inline float pl_vec_reduce_add_f32x8(const pelemay_f32x8 *v)
// CHECK-NEXT: {
// CHECK-NEXT:     float s = (*v)[0];
// CHECK-NEXT:     int k;
// CHECK-NEXT:     for (k = 1; k < 8; k++) {
// CHECK-NEXT:         s += (*v)[k];

// CHECK:      int vecs_run(const float *x, const float *y, float *z, float *out, void *arena)
// CHECK:          const float s = y[0];
// CHECK-NEXT:     const pelemay_f32x8 sv = (pelemay_f32x8){s, s, s, s, s, s, s, s};
// CHECK:          for (ptrdiff_t i = 0; i < 16; i += 8) {
// CHECK-NEXT:         pelemay_f32x8 a;
// CHECK-NEXT:         memcpy(&a, &x[i * 24 + 3], sizeof a);
// CHECK-NEXT:         const ptrdiff_t j = pl_addi_index(i, 8);
// CHECK-NEXT:         pelemay_f32x8 b;
// CHECK-NEXT:         memcpy(&b, &y[j], sizeof b);
// CHECK-NEXT:         const pelemay_f32x8 sum = a + b;
// CHECK-NEXT:         const pelemay_f32x8 diff = sum - sv;
// CHECK-NEXT:         const pelemay_f32x8 prod = diff * a;
// CHECK-NEXT:         const pelemay_f32x8 quot = prod / b;
// CHECK-NEXT:         const pelemay_f32x8 neg = -quot;
// CHECK-NEXT:         const pelemay_f32x8 f = neg * a + sv;
// CHECK-NEXT:         const pelemay_i32x8 [[GT:v.*]] = (pelemay_i32x8)(f > b);
// CHECK-NEXT:         const pelemay_f32x8 [[PICK:v.*]] = (pelemay_f32x8)(([[GT]] & (pelemay_i32x8)(f)) | (~[[GT]] & (pelemay_i32x8)(b)));
// CHECK-NEXT:         const pelemay_i32x8 [[FB:v.*]] = (pelemay_i32x8)f;
// CHECK-NEXT:         const pelemay_i32x8 [[BB:v.*]] = (pelemay_i32x8)b;
// CHECK-NEXT:         const pelemay_i32x8 [[AND:v.*]] = [[FB]] & [[BB]];
// CHECK-NEXT:         const pelemay_f32x8 [[TIE:v.*]] = (pelemay_f32x8)[[AND]];
// CHECK-NEXT:         const pelemay_i32x8 [[EQ:v.*]] = (pelemay_i32x8)(f == b);
// CHECK-NEXT:         const pelemay_f32x8 [[ORD:v.*]] = (pelemay_f32x8)(([[EQ]] & (pelemay_i32x8)([[TIE]])) | (~[[EQ]] & (pelemay_i32x8)([[PICK]])));
// CHECK-NEXT:         const pelemay_i32x8 [[NAN:v.*]] = (pelemay_i32x8)(f != f);
// CHECK-NEXT:         const pelemay_f32x8 m = (pelemay_f32x8)(([[NAN]] & (pelemay_i32x8)(f)) | (~[[NAN]] & (pelemay_i32x8)([[ORD]])));
// CHECK-NEXT:         memcpy(&z[i], &m, sizeof(pelemay_f32x8));
// CHECK-NEXT:         const float total = pl_vec_reduce_add_f32x8(&m);
// CHECK-NEXT:         out[i] = total;
// CHECK-NEXT:     }
// CHECK:          const pelemay_i32x4 {{v.*}} = {{v.*}} | {{v.*}};
// CHECK:          const pelemay_f32x4 n = (pelemay_f32x4)((
// CHECK:          const pelemay_i32x16 [[LE:v.*]] = (pelemay_i32x16)(w <= zeros);
// CHECK-NEXT:     const pelemay_f32x16 r = (pelemay_f32x16)(([[LE]] & (pelemay_i32x16)(zeros)) | (~[[LE]] & (pelemay_i32x16)(w)));
// CHECK-NEXT:     const pelemay_f32x16 [[R8:v.*]] = (pelemay_f32x16){(r)[8], (r)[9], (r)[10], (r)[11], (r)[12], (r)[13], (r)[14], (r)[15], (r)[0], (r)[1], (r)[2], (r)[3], (r)[4], (r)[5], (r)[6], (r)[7]};
// CHECK-NEXT:     const pelemay_i32x16 {{v.*}} = (pelemay_i32x16)(r > [[R8]]);
// CHECK:          const float [[L0:v.*]] = ([[Q:v.*]])[0];
// CHECK-NEXT:     const uint8_t {{v.*}} = s > [[L0]];
// CHECK:          const float top = {{v.*}} ? s : {{v.*}};
func.func @vecs(%x: memref<16x24xf32>, %y: memref<24xf32>, %z: memref<24xf32>, %out: memref<24xf32>)
    attributes {pelemay.entry, pelemay.num_inputs = 2 : i64} {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c20 = arith.constant 20 : index
  %zero = arith.constant 0.0 : f32
  %s = memref.load %y[%c0] : memref<24xf32>
  %sv = vector.broadcast %s : f32 to vector<8xf32>
  scf.for %i = %c0 to %c16 step %c8 {
    %a = vector.load %x[%i, %c3] : memref<16x24xf32>, vector<8xf32>
    %j = arith.addi %i, %c8 : index
    %b = vector.load %y[%j] : memref<24xf32>, vector<8xf32>
    %sum = arith.addf %a, %b : vector<8xf32>
    %diff = arith.subf %sum, %sv : vector<8xf32>
    %prod = arith.mulf %diff, %a : vector<8xf32>
    %quot = arith.divf %prod, %b : vector<8xf32>
    %neg = arith.negf %quot : vector<8xf32>
    %f = vector.fma %neg, %a, %sv : vector<8xf32>
    %m = arith.maximumf %f, %b : vector<8xf32>
    vector.store %m, %z[%i] : memref<24xf32>, vector<8xf32>
    %total = vector.reduction <add>, %m : vector<8xf32> into f32
    memref.store %total, %out[%i] : memref<24xf32>
  }
  %q = vector.load %y[%c0] : memref<24xf32>, vector<4xf32>
  %q2 = vector.load %y[%c20] : memref<24xf32>, vector<4xf32>
  %n = arith.minimumf %q, %q2 : vector<4xf32>
  vector.store %n, %z[%c20] : memref<24xf32>, vector<4xf32>
  %zeros = vector.broadcast %zero : f32 to vector<16xf32>
  %w = vector.load %x[%c3, %c0] : memref<16x24xf32>, vector<16xf32>
  %r = arith.maximumf %zeros, %w : vector<16xf32>
  %top = vector.reduction <maximumf>, %r, %s : vector<16xf32> into f32
  memref.store %top, %out[%c16] : memref<24xf32>
  func.return
}

// -----

// A vector width the C target has no type for is an error at the op.
// ERR: c-vectors.mlir:[[# @LINE + 4]]:{{[0-9]+}}: error: 'vector.load' op cannot be printed by the c target: vector<3xf32> is not a portable vector: those are vector<Wxf32> (vector<Wxi32> for their bits, vector<Wxi1> for masks) with W = 4, 8 or 16
func.func @odd(%x: memref<8xf32>, %y: memref<8xf32>)
    attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %v = vector.load %x[%c0] : memref<8xf32>, vector<3xf32>
  vector.store %v, %y[%c0] : memref<8xf32>, vector<3xf32>
  func.return
}

// -----

// ERR: c-vectors.mlir:[[# @LINE + 5]]:{{[0-9]+}}: error: 'vector.broadcast' op cannot be printed by the c target: vector<4xi32> holds the bits of f32 lanes
func.func @ints(%x: memref<8xi32>, %y: memref<8xi32>)
    attributes {pelemay.entry, pelemay.num_inputs = 1 : i64} {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1 : i32
  %v = vector.broadcast %one : i32 to vector<4xi32>
  vector.store %v, %y[%c0] : memref<8xi32>, vector<4xi32>
  func.return
}
