// The public model graphs raise completely: one lapa.attention per layer,
// no softmax left, and the result verifies and reads back.
// REQUIRES: shared-models, mlir
// The softmax pieces that must be gone are checked over the whole output
// with --implicit-check-not: the exponential where nothing else uses one,
// else the max reduction (LLaMA's SiLU also calls exp, MobileBERT's ReLU is
// a maximum).
// RUN: lapa-opt %shared_models/bert-tiny-mha-linalg/multi-head-attention-mlir22.mlir --lapa-raise-attention | lapa-opt | FileCheck %s --check-prefix=BERT --implicit-check-not=math.exp
// RUN: lapa-opt %shared_models/buddy-mlir-llm-graphs/llama2_7b_prefill40_tosa22.mlir --lapa-raise-attention | lapa-opt | FileCheck %s --check-prefix=LLAMA-TOSA --implicit-check-not=tosa.reduce_max
// RUN: lapa-opt %shared_models/buddy-mlir-llm-graphs/llama2_7b_prefill40_linalg22.mlir --lapa-raise-attention | lapa-opt | FileCheck %s --check-prefix=LLAMA-LINALG --implicit-check-not=arith.maximumf
// RUN: lapa-opt %shared_models/mobilebert-squad-linalg/mobilebert-linalg-stripped-mlir22.mlir --lapa-raise-attention | lapa-opt | FileCheck %s --check-prefix=MOBILEBERT --implicit-check-not=math.exp

// BERT-tiny: batch 32, 2 heads of 64, sequence 8, scale 1/8 applied to the
// query upstream; its mask is a constant zero, which changes nothing.
// BERT-COUNT-1: lapa.attention {{.*}} scale(1.250000e-01) {{.*}}: tensor<32x2x8x64xf32>, tensor<32x2x8x64xf32>, tensor<32x2x8x64xf32> -> tensor<32x2x8x64xf32>
// BERT-NOT: = lapa.attention

// LLaMA-2-7B prefill, TOSA: 32 layers, 32 heads of 128, 40 tokens, scale
// 1/sqrt(128), the causal mask built at the top of the graph.
// LLAMA-TOSA-COUNT-32: lapa.attention {{.*}} mask({{.*}} : tensor<1x1x40x40xf32>) scale(0.0883883461) {{.*}}: tensor<1x32x40x128xf32>, tensor<1x32x40x128xf32>, tensor<1x32x40x128xf32> -> tensor<1x32x40x128xf32>
// LLAMA-TOSA-NOT: = lapa.attention

// LLaMA-2-7B prefill, the same graph lowered to linalg.
// LLAMA-LINALG-COUNT-32: lapa.attention {{.*}} mask({{.*}} : tensor<1x1x40x40xf32>) scale(0.0883883461) {{.*}}: tensor<1x32x40x128xf32>, tensor<1x32x40x128xf32>, tensor<1x32x40x128xf32> -> tensor<1x32x40x128xf32>
// LLAMA-LINALG-NOT: = lapa.attention

// MobileBERT: 24 layers, 4 heads of 32, sequence 384, each head's scores
// and outputs computed by its own matmul on slices of stacked tensors; the
// pass batches them first. The scale sits in the query projection.
// MOBILEBERT-COUNT-24: lapa.attention {{.*}} mask({{.*}} : tensor<1x1x384x384xf32>) scale(1.000000e+00) {{.*}}: tensor<1x4x384x32xf32>, tensor<1x4x384x32xf32>, tensor<1x4x384x32xf32> -> tensor<1x4x384x32xf32>
// MOBILEBERT-NOT: = lapa.attention

// Each raised attention tags the projections that feed it, so that
// prediction insertion finds the K and V projections it makes sparse.
// RUN: lapa-opt %shared_models/buddy-mlir-llm-graphs/llama2_7b_prefill40_tosa22.mlir --lapa-raise-attention | FileCheck %s --check-prefix=TAGS
// RUN: lapa-opt %shared_models/bert-tiny-mha-linalg/multi-head-attention-mlir22.mlir --lapa-raise-attention | FileCheck %s --check-prefix=BERT-TAGS
// TAGS: linalg.matmul {{.*}}lapa.attention_index = 0 : i64, lapa.projection = "query"} {{.*}} tensor<4096x4096xf32>
// TAGS: linalg.matmul {{.*}}lapa.attention_index = 0 : i64, lapa.projection = "key"}
// TAGS: linalg.matmul {{.*}}lapa.attention_index = 0 : i64, lapa.projection = "value"}
// TAGS: lapa.attention {{.*}}lapa.attention_index = 0 : i64
// TAGS: linalg.matmul {{.*}}lapa.attention_index = 0 : i64, lapa.projection = "output"}
// TAGS: linalg.matmul {{.*}}lapa.attention_index = 31 : i64, lapa.projection = "query"}
// TAGS: linalg.matmul {{.*}}lapa.attention_index = 31 : i64, lapa.projection = "output"}
// BERT-TAGS-DAG: linalg.matmul {lapa.attention_index = 0 : i64, lapa.projection = "key"}
// BERT-TAGS-DAG: linalg.matmul {lapa.attention_index = 0 : i64, lapa.projection = "query"}
// BERT-TAGS-DAG: linalg.matmul {lapa.attention_index = 0 : i64, lapa.projection = "value"}
// BERT-TAGS-DAG: linalg.matmul {lapa.attention_index = 0 : i64, lapa.projection = "output"}

// lapa-annotate-layers finds the rest of each LLaMA layer: 65 RMSNorms (two
// per layer and the final one, 7 ops each), one SwiGLU block per layer,
// rotary multiplies on the query and key (cos and sin, 4 per layer) and two
// residual additions per layer. MobileBERT has 4 stacked ReLU feed-forward
// blocks per layer and no rsqrt norm (it uses an elementwise NoNorm).
// RUN: lapa-opt %shared_models/buddy-mlir-llm-graphs/llama2_7b_prefill40_tosa22.mlir --lapa-raise-attention --lapa-annotate-layers | FileCheck %s --check-prefix=LAYERS
// RUN: lapa-opt %shared_models/buddy-mlir-llm-graphs/llama2_7b_prefill40_tosa22.mlir --lapa-raise-attention --lapa-annotate-layers | grep -c 'lapa.layer = "rms_norm"' | FileCheck %s --check-prefix=NORM-OPS
// RUN: lapa-opt %shared_models/buddy-mlir-llm-graphs/llama2_7b_prefill40_tosa22.mlir --lapa-raise-attention --lapa-annotate-layers | grep -c 'lapa.layer = "rotary_embedding"' | FileCheck %s --check-prefix=ROTARY-OPS
// RUN: lapa-opt %shared_models/buddy-mlir-llm-graphs/llama2_7b_prefill40_tosa22.mlir --lapa-raise-attention --lapa-annotate-layers | grep -c 'lapa.layer = "residual"' | FileCheck %s --check-prefix=RESIDUAL-OPS
// RUN: lapa-opt %shared_models/mobilebert-squad-linalg/mobilebert-linalg-stripped-mlir22.mlir --lapa-raise-attention --lapa-annotate-layers | grep -c 'lapa.ffn = "down"' | FileCheck %s --check-prefix=MOBILEBERT-FFN
// LAYERS-COUNT-32: linalg.matmul {{.*}}lapa.ffn = "gate"
// NORM-OPS: 455
// ROTARY-OPS: 128
// RESIDUAL-OPS: 64
// MOBILEBERT-FFN: 96
