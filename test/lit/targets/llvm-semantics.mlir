// RUN: pelemay-opt %s -t llvm | filecheck %s
// RUN: pelemay-opt %s -t 'llvm{target=aarch64}' | filecheck %s --check-prefix=NATIVE

// The rules of docs/semantics.md without undefined behaviour or poison:
// wrapping add (no nsw), division with the divisor replaced where sdiv would
// be undefined, saturating fptosi (passes/legalize.py), NaN-propagating maximumf as selects, f16
// loaded as half and rounded once on store, i1 stored as a byte.
// CHECK:      define internal void @ops(
// CHECK:        %[[X:v[0-9]+]] = load i8, ptr %{{.*}}, align 1
// CHECK:        %[[Y:v[0-9]+]] = load i8, ptr %{{.*}}, align 1
// CHECK-NEXT:   %[[S:v[0-9]+]] = add i8 %[[X]], %[[Y]]
// CHECK-NEXT:   %[[Z:v[0-9]+]] = icmp eq i8 %[[Y]], 0
// CHECK-NEXT:   %[[M1:v[0-9]+]] = icmp eq i8 %[[Y]], -1
// CHECK-NEXT:   %[[BAD:v[0-9]+]] = or i1 %[[Z]], %[[M1]]
// CHECK-NEXT:   %[[DIV:v[0-9]+]] = select i1 %[[BAD]], i8 1, i8 %[[Y]]
// CHECK-NEXT:   %[[Q:v[0-9]+]] = sdiv i8 %[[S]], %[[DIV]]
// CHECK-NEXT:   %[[NEG:v[0-9]+]] = sub i8 0, %[[S]]
// CHECK-NEXT:   %[[Q2:v[0-9]+]] = select i1 %[[M1]], i8 %[[NEG]], i8 %[[Q]]
// CHECK-NEXT:   %[[D:v[0-9]+]] = select i1 %[[Z]], i8 0, i8 %[[Q2]]
// CHECK-NEXT:   %[[SH:v[0-9]+]] = ashr i8 %[[D]], 7
// CHECK:        store i8 %[[SH]], ptr
// CHECK:        %[[F:v[0-9]+]] = load float, ptr
// CHECK-NEXT:   %[[LOW:v[0-9]+]] = fcmp ole float %[[F]], 0xC1E0000000000000
// CHECK-NEXT:   %[[HIGH:v[0-9]+]] = fcmp oge float %[[F]], 0x41E0000000000000
// CHECK-NEXT:   %[[NAN:v[0-9]+]] = fcmp uno float %[[F]], %[[F]]
// CHECK:        %[[SAFE:v[0-9]+]] = select i1 %{{.*}}, float 0x0000000000000000, float %[[F]]
// CHECK-NEXT:   %[[I:v[0-9]+]] = fptosi float %[[SAFE]] to i32
// CHECK-NEXT:   %[[I1:v[0-9]+]] = select i1 %[[NAN]], i32 0, i32 %[[I]]
// CHECK-NEXT:   %[[I2:v[0-9]+]] = select i1 %[[LOW]], i32 -2147483648, i32 %[[I1]]
// CHECK-NEXT:   %{{.*}} = select i1 %[[HIGH]], i32 2147483647, i32 %[[I2]]
// max(x, 0): one compare and one select (a NaN x compares false and stays).
// CHECK:        %[[LE:v[0-9]+]] = fcmp ole float %[[F]], 0x0000000000000000
// CHECK-NEXT:   %{{.*}} = select i1 %[[LE]], float 0x0000000000000000, float %[[F]]
// CHECK:        %[[H:v[0-9]+]] = load i16, ptr %{{.*}}, align 2
// CHECK-NEXT:   %{{.*}} = call float @pelemay.f16_to_f32(i16 %[[H]])
// CHECK:        %[[T:v[0-9]+]] = call i16 @pelemay.f32_to_f16(float %{{.*}})
// CHECK:        %[[P:p[0-9]+]] = getelementptr inbounds i16, ptr %r, i64 %{{.*}}
// CHECK-NEXT:   store i16 %[[T]], ptr %[[P]], align 2
// CHECK:        %[[B:v[0-9]+]] = zext i1 %{{.*}} to i8
// CHECK:        store i8 %[[B]], ptr
// CHECK:      define internal float @pelemay.f16_to_f32(i16 %h) #0 {
// CHECK:      define internal i16 @pelemay.f32_to_f16(float %f) #0 {

// NATIVE:        %[[H:v[0-9]+]] = load half, ptr %{{.*}}, align 2
// NATIVE-NEXT:   %{{.*}} = fpext half %[[H]] to float
// NATIVE:        %[[T:v[0-9]+]] = fptrunc float %{{.*}} to half
// NATIVE:        %[[P:p[0-9]+]] = getelementptr inbounds half, ptr %r, i64 %{{.*}}
// NATIVE-NEXT:   store half %[[T]], ptr %[[P]], align 2
// NATIVE-NOT:    @pelemay.f16_to_f32

func.func @ops(%a: memref<8xi8>, %b: memref<8xi8>, %f: memref<8xf32>, %h: memref<8xf16>,
               %o: memref<8xi8>, %q: memref<8xi32>, %r: memref<8xf16>, %p: memref<8xi1>)
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
    %hf = arith.extf %hv : f16 to f32
    %hm = arith.mulf %hf, %m : f32
    %ht = arith.truncf %hm : f32 to f16
    memref.store %ht, %r[%i] : memref<8xf16>
    %pos = arith.cmpf ogt, %fv, %zero : f32
    memref.store %pos, %p[%i] : memref<8xi1>
  }
  func.return
}
