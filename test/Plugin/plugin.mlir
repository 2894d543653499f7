// Upstream mlir-opt loads lapa as a dialect plugin and a pass plugin,
// parses and prints lapa IR, and runs a lapa pass by name.
// REQUIRES: plugin, mlir
// RUN: mlir-opt %s --load-dialect-plugin=%lapa_lib_dir/lapa-plugin%shlibext | FileCheck %s
// RUN: mlir-opt %s --load-dialect-plugin=%lapa_lib_dir/lapa-plugin%shlibext \
// RUN:   --load-pass-plugin=%lapa_lib_dir/lapa-plugin%shlibext \
// RUN:   --pass-pipeline="builtin.module(lapa-annotate-op-counts)" \
// RUN:   | FileCheck %s --check-prefix=COUNTS
// RUN: mlir-opt %s --load-dialect-plugin=%lapa_lib_dir/lapa-plugin%shlibext \
// RUN:   --load-pass-plugin=%lapa_lib_dir/lapa-plugin%shlibext \
// RUN:   --pass-pipeline="builtin.module(lapa-raise-attention,lapa-decompose-attention)" \
// RUN:   | FileCheck %s --check-prefix=PIPELINE
// RUN: not mlir-opt %s --load-dialect-plugin=%lapa_lib_dir/lapa-plugin%shlibext \
// RUN:   --pass-pipeline="builtin.module(lapa-annotate-op-counts)" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOPASS

// CHECK-LABEL: func.func @predict
// CHECK: lapa.predict_keys %{{.*}}, %{{.*}} : tensor<4x16xi8>, tensor<16x8x!lapa.log_code<8>> -> tensor<4x8xi32>
// CHECK: lapa.requantize %{{.*}} shift 4 : tensor<4x8xi32> -> tensor<4x8xi8>
// COUNTS: lapa.predict_keys {{.*}}lapa.op_counts = {{{.*}}shift_adds = 512 : i64}
// PIPELINE-LABEL: func.func @predict
// NOPASS: 'lapa-annotate-op-counts' does not refer to a registered pass
func.func @predict(%x: tensor<4x16xi8>, %w: tensor<16x8x!lapa.log_code<8>>) -> tensor<4x8xi8> {
  %k = lapa.predict_keys %x, %w : tensor<4x16xi8>, tensor<16x8x!lapa.log_code<8>> -> tensor<4x8xi32>
  %k8 = lapa.requantize %k shift 4 : tensor<4x8xi32> -> tensor<4x8xi8>
  return %k8 : tensor<4x8xi8>
}
