// Round trip of every lapa op through its custom form and its generic form.
// REQUIRES: mlir
// RUN: lapa-opt %s | lapa-opt | FileCheck %s
// RUN: lapa-opt %s --mlir-print-op-generic | lapa-opt | FileCheck %s

// CHECK-LABEL: func.func @attention_mha
func.func @attention_mha(%q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>,
                         %v: tensor<1x4x16x32xf32>) -> tensor<1x4x16x32xf32> {
  // CHECK: lapa.attention %{{.*}}, %{{.*}}, %{{.*}} scale(0.176776692) causal : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32> -> tensor<1x4x16x32xf32>
  %o = lapa.attention %q, %k, %v scale(0.176776695) causal
      : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>
        -> tensor<1x4x16x32xf32>
  return %o : tensor<1x4x16x32xf32>
}

// Grouped-query attention with an additive mask that broadcasts over batch
// and heads, a value head size different from the key's, and no causal flag.
// CHECK-LABEL: func.func @attention_gqa_mask
func.func @attention_gqa_mask(%q: tensor<2x8x16x64xf16>, %k: tensor<2x2x24x64xf16>,
                              %v: tensor<2x2x24x32xf16>, %m: tensor<16x24xf16>)
    -> tensor<2x8x16x32xf16> {
  // CHECK: lapa.attention %{{.*}}, %{{.*}}, %{{.*}} mask(%{{.*}} : tensor<16x24xf16>) scale(1.250000e-01) : tensor<2x8x16x64xf16>, tensor<2x2x24x64xf16>, tensor<2x2x24x32xf16> -> tensor<2x8x16x32xf16>
  %o = lapa.attention %q, %k, %v mask(%m : tensor<16x24xf16>) scale(0.125)
      : tensor<2x8x16x64xf16>, tensor<2x2x24x64xf16>, tensor<2x2x24x32xf16>
        -> tensor<2x8x16x32xf16>
  return %o : tensor<2x8x16x32xf16>
}

// Dynamic sequence lengths verify; the shape checks skip unknown sizes.
// CHECK-LABEL: func.func @attention_dynamic
func.func @attention_dynamic(%q: tensor<1x4x?x32xf32>, %k: tensor<1x4x?x32xf32>,
                             %v: tensor<1x4x?x32xf32>) -> tensor<1x4x?x32xf32> {
  // CHECK: lapa.attention {{.*}} : tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32> -> tensor<1x4x?x32xf32>
  %o = lapa.attention %q, %k, %v scale(0.176776695)
      : tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32>
        -> tensor<1x4x?x32xf32>
  return %o : tensor<1x4x?x32xf32>
}

// CHECK-LABEL: func.func @quantization
func.func @quantization(%x: tensor<16x128xf32>, %w: tensor<128x4xf32>,
                        %acc: tensor<16x128xi32>)
    -> (tensor<16x128xi8>, tensor<128x4xi8>, tensor<16x128xf32>, tensor<16x128xi8>) {
  // CHECK: lapa.quantize %{{.*}} scales [1.250000e-02] : tensor<16x128xf32> -> tensor<16x128xi8>
  %xq = lapa.quantize %x scales [0.0125] : tensor<16x128xf32> -> tensor<16x128xi8>
  // CHECK: lapa.quantize_dynamic %{{.*}} over 1 : tensor<16x128xf32> -> tensor<16x128xi8>, tensor<16xf32>
  %xd, %xds = lapa.quantize_dynamic %x over 1 : tensor<16x128xf32> -> tensor<16x128xi8>, tensor<16xf32>
  // CHECK: lapa.quantize %{{.*}} scales [1.000000e-02, 2.000000e-02, 3.000000e-02, 4.000000e-02] axis 1 : tensor<128x4xf32> -> tensor<128x4xi8>
  %wq = lapa.quantize %w scales [0.01, 0.02, 0.03, 0.04] axis 1
      : tensor<128x4xf32> -> tensor<128x4xi8>
  // CHECK: lapa.dequantize %{{.*}} scales [1.562500e-04] : tensor<16x128xi32> -> tensor<16x128xf32>
  %y = lapa.dequantize %acc scales [1.5625e-04] : tensor<16x128xi32> -> tensor<16x128xf32>
  // CHECK: lapa.requantize %{{.*}} shift 7 : tensor<16x128xi32> -> tensor<16x128xi8>
  %r = lapa.requantize %acc shift 7 : tensor<16x128xi32> -> tensor<16x128xi8>
  return %xq, %wq, %y, %r : tensor<16x128xi8>, tensor<128x4xi8>, tensor<16x128xf32>, tensor<16x128xi8>
}

// CHECK-LABEL: func.func @log_encode
func.func @log_encode(%q: tensor<1x4x16x32xi16>, %w: tensor<128x128xi8>)
    -> (tensor<1x4x16x32x!lapa.log_code<16>>, tensor<128x128x!lapa.log_code<8>>) {
  // CHECK: lapa.log_encode %{{.*}} : tensor<1x4x16x32xi16> -> tensor<1x4x16x32x!lapa.log_code<16>>
  %qlog = lapa.log_encode %q : tensor<1x4x16x32xi16> -> tensor<1x4x16x32x!lapa.log_code<16>>
  // CHECK: lapa.log_encode %{{.*}} : tensor<128x128xi8> -> tensor<128x128x!lapa.log_code<8>>
  %wlog = lapa.log_encode %w : tensor<128x128xi8> -> tensor<128x128x!lapa.log_code<8>>
  return %qlog, %wlog : tensor<1x4x16x32x!lapa.log_code<16>>, tensor<128x128x!lapa.log_code<8>>
}

// The three forms of key prediction: weight log-coded (the default),
// activation log-coded, and both (FACT's symmetric product), batched.
// CHECK-LABEL: func.func @predict_keys
func.func @predict_keys(%x: tensor<16x128xi8>, %wlog: tensor<128x128x!lapa.log_code<8>>,
                        %xlog: tensor<2x16x128x!lapa.log_code<8>>, %w: tensor<128x64xi8>,
                        %xlog2: tensor<16x128x!lapa.log_code<8>>)
    -> (tensor<16x128xi32>, tensor<2x16x64xi32>, tensor<16x128xi32>) {
  // CHECK: lapa.predict_keys %{{.*}}, %{{.*}} : tensor<16x128xi8>, tensor<128x128x!lapa.log_code<8>> -> tensor<16x128xi32>
  %k1 = lapa.predict_keys %x, %wlog : tensor<16x128xi8>, tensor<128x128x!lapa.log_code<8>> -> tensor<16x128xi32>
  // CHECK: lapa.predict_keys %{{.*}}, %{{.*}} : tensor<2x16x128x!lapa.log_code<8>>, tensor<128x64xi8> -> tensor<2x16x64xi32>
  %k2 = lapa.predict_keys %xlog, %w : tensor<2x16x128x!lapa.log_code<8>>, tensor<128x64xi8> -> tensor<2x16x64xi32>
  // CHECK: lapa.predict_keys %{{.*}}, %{{.*}} : tensor<16x128x!lapa.log_code<8>>, tensor<128x128x!lapa.log_code<8>> -> tensor<16x128xi32>
  %k3 = lapa.predict_keys %xlog2, %wlog : tensor<16x128x!lapa.log_code<8>>, tensor<128x128x!lapa.log_code<8>> -> tensor<16x128xi32>
  return %k1, %k2, %k3 : tensor<16x128xi32>, tensor<2x16x64xi32>, tensor<16x128xi32>
}

// The LAPA prediction flow for one layer: scores, then top-k selection as
// an index list and as a bitmap.
// CHECK-LABEL: func.func @predict_and_select
func.func @predict_and_select(%qlog: tensor<1x4x16x32x!lapa.log_code<16>>,
                              %khat: tensor<1x4x16x32xi8>)
    -> (tensor<1x4x16x4xi32>, tensor<1x4x16xi1>, tensor<1x4x16x16xi1>, tensor<1x2x16xi1>) {
  // CHECK: %[[S:.*]], %[[C:.*]] = lapa.predict_scores %{{.*}}, %{{.*}} predictor <lapa> causal : tensor<1x4x16x32x!lapa.log_code<16>>, tensor<1x4x16x32xi8> -> tensor<1x4x16x16xi32>, tensor<1x4x16x16xi1>
  %s, %c = lapa.predict_scores %qlog, %khat predictor <lapa> causal
      : tensor<1x4x16x32x!lapa.log_code<16>>, tensor<1x4x16x32xi8>
        -> tensor<1x4x16x16xi32>, tensor<1x4x16x16xi1>
  // CHECK: lapa.select %[[S]], %[[C]] predictor <lapa> causal : tensor<1x4x16x16xi32>, tensor<1x4x16x16xi1> -> tensor<1x4x16x4xi32>, tensor<1x4x16xi1>
  %sel, %needed = lapa.select %s, %c predictor <lapa> causal
      : tensor<1x4x16x16xi32>, tensor<1x4x16x16xi1> -> tensor<1x4x16x4xi32>, tensor<1x4x16xi1>
  // CHECK: %[[TS:.*]], %[[TC:.*]] = lapa.predict_scores %{{.*}}, %{{.*}} predictor <lapa, select = threshold, threshold = 0.002>
  %ts, %tc = lapa.predict_scores %qlog, %khat
      predictor <lapa, select = threshold, threshold = 0.002>
      : tensor<1x4x16x32x!lapa.log_code<16>>, tensor<1x4x16x32xi8>
        -> tensor<1x4x16x16xi32>, tensor<1x4x16x16xi1>
  // CHECK: lapa.select %[[TS]], %[[TC]] predictor <lapa, select = threshold, threshold = 0.002> score_scale(1.000000e-03) : tensor<1x4x16x16xi32>, tensor<1x4x16x16xi1> -> tensor<1x4x16x16xi1>, tensor<1x2x16xi1>
  %bitmap, %grouped = lapa.select %ts, %tc
      predictor <lapa, select = threshold, threshold = 0.002> score_scale(0.001)
      : tensor<1x4x16x16xi32>, tensor<1x4x16x16xi1> -> tensor<1x4x16x16xi1>, tensor<1x2x16xi1>
  // Scores quantized at run time carry one logit scale per score.
  // CHECK: %[[SCALES:.*]] = tensor.empty() : tensor<1x4x16x16xf32>
  // CHECK: lapa.select %[[TS]], %[[TC]] scales(%[[SCALES]] : tensor<1x4x16x16xf32>) predictor <lapa, select = threshold, threshold = 0.002> : tensor<1x4x16x16xi32>, tensor<1x4x16x16xi1> -> tensor<1x4x16x16xi1>, tensor<1x2x16xi1>
  %scales = tensor.empty() : tensor<1x4x16x16xf32>
  %runtime, %runtimeNeeded = lapa.select %ts, %tc scales(%scales : tensor<1x4x16x16xf32>)
      predictor <lapa, select = threshold, threshold = 0.002>
      : tensor<1x4x16x16xi32>, tensor<1x4x16x16xi1> -> tensor<1x4x16x16xi1>, tensor<1x2x16xi1>
  return %sel, %needed, %bitmap, %runtimeNeeded
      : tensor<1x4x16x4xi32>, tensor<1x4x16xi1>, tensor<1x4x16x16xi1>, tensor<1x2x16xi1>
}

// Score prediction for each peer scheme with its operand types.
// CHECK-LABEL: func.func @predict_scores_peers
func.func @predict_scores_peers(%qlog: tensor<1x2x8x16x!lapa.log_code<16>>,
                                %klog: tensor<1x2x8x16x!lapa.log_code<8>>,
                                %khat16: tensor<1x2x8x16xi16>,
                                %q4: tensor<1x2x8x16xi4>, %k4: tensor<1x2x8x16xi4>,
                                %q16: tensor<1x2x8x16xi16>, %k16: tensor<1x2x8x16xi16>,
                                %qf: tensor<1x2x8x16xf32>, %kf: tensor<1x2x8x16xf32>) {
  // CHECK: predictor <sofa>
  %s0, %c0 = lapa.predict_scores %qlog, %khat16 predictor <sofa>
      : tensor<1x2x8x16x!lapa.log_code<16>>, tensor<1x2x8x16xi16> -> tensor<1x2x8x8xi64>, tensor<1x2x8x8xi1>
  // CHECK: predictor <fact, keep_ratio = 0.5>
  %s1, %c1 = lapa.predict_scores %qlog, %klog predictor <fact, keep_ratio = 0.5>
      : tensor<1x2x8x16x!lapa.log_code<16>>, tensor<1x2x8x16x!lapa.log_code<8>> -> tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1>
  // CHECK: predictor <sanger>
  %s2, %c2 = lapa.predict_scores %q4, %k4 predictor <sanger>
      : tensor<1x2x8x16xi4>, tensor<1x2x8x16xi4> -> tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1>
  // CHECK: predictor <energon, round_bits = [2, 4, 8]>
  %s3, %c3 = lapa.predict_scores %q16, %k16 predictor <energon, round_bits = [2, 4, 8]>
      : tensor<1x2x8x16xi16>, tensor<1x2x8x16xi16> -> tensor<1x2x8x8xi32>, tensor<1x2x8x8xi1>
  // CHECK: predictor <oracle, keep_ratio = 0.125> causal
  %s4, %c4 = lapa.predict_scores %qf, %kf predictor <oracle, keep_ratio = 0.125> causal
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x8xf32>, tensor<1x2x8x8xi1>
  return
}

// CHECK-LABEL: func.func @sparse_execution
func.func @sparse_execution(%x: tensor<16x128xi8>, %w: tensor<128x128xi8>,
                            %xf: tensor<2x16x128xf32>, %wf: tensor<128x64xf32>,
                            %needed: tensor<1x4x16xi1>, %needed2: tensor<2x2x16xi1>,
                            %q: tensor<1x4x16x32xf32>, %k: tensor<1x4x16x32xf32>,
                            %v: tensor<1x4x16x32xf32>, %sel: tensor<1x4x16x4xi32>,
                            %bitmap: tensor<1x4x16x16xi1>, %m: tensor<1x1x16x16xf32>)
    -> (tensor<16x128xi32>, tensor<2x16x64xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>) {
  // CHECK: lapa.sparse_project %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x128xi8>, tensor<128x128xi8>, tensor<1x4x16xi1> -> tensor<16x128xi32>
  %kv = lapa.sparse_project %x, %w, %needed
      : tensor<16x128xi8>, tensor<128x128xi8>, tensor<1x4x16xi1> -> tensor<16x128xi32>
  // CHECK: lapa.sparse_project %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x16x128xf32>, tensor<128x64xf32>, tensor<2x2x16xi1> -> tensor<2x16x64xf32>
  %kvf = lapa.sparse_project %xf, %wf, %needed2
      : tensor<2x16x128xf32>, tensor<128x64xf32>, tensor<2x2x16xi1> -> tensor<2x16x64xf32>
  // CHECK: lapa.sparse_attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} scale(0.176776692) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x4xi32> -> tensor<1x4x16x32xf32>
  %o1 = lapa.sparse_attention %q, %k, %v, %sel scale(0.176776695)
      : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x4xi32>
        -> tensor<1x4x16x32xf32>
  // CHECK: lapa.sparse_attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} mask(%{{.*}} : tensor<1x1x16x16xf32>) scale(0.176776692) : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x16xi1> -> tensor<1x4x16x32xf32>
  %o2 = lapa.sparse_attention %q, %k, %v, %bitmap mask(%m : tensor<1x1x16x16xf32>) scale(0.176776695)
      : tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x16xi1>
        -> tensor<1x4x16x32xf32>
  return %kv, %kvf, %o1, %o2 : tensor<16x128xi32>, tensor<2x16x64xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>
}

// The target attribute on a module, and a log-code type with its width.
// CHECK-LABEL: func.func @target
// CHECK-SAME: lapa.target = #lapa.target<"lapa-28nm", config = "examples/hw/lapa-28nm.yaml">
func.func @target() attributes {lapa.target = #lapa.target<"lapa-28nm", config = "examples/hw/lapa-28nm.yaml">} {
  return
}
