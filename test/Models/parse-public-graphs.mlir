// lapa-opt registers every upstream dialect that the public model graphs
// use (linalg, tensor, arith, math, tosa, func), so it reads each of them
// and prints a module that reads back.
// REQUIRES: shared-models, mlir
// RUN: lapa-opt %shared_models/bert-tiny-mha-linalg/multi-head-attention-mlir22.mlir | lapa-opt | FileCheck %s --check-prefix=BERT
// RUN: lapa-opt %shared_models/mobilebert-squad-linalg/mobilebert-linalg-stripped-mlir22.mlir -o /dev/null
// RUN: lapa-opt %shared_models/buddy-mlir-llm-graphs/llama2_7b_prefill40_tosa22.mlir | FileCheck %s --check-prefix=LLAMA
// RUN: lapa-opt %shared_models/buddy-mlir-llm-graphs/llama2_7b_prefill40_linalg22.mlir -o /dev/null

// BERT: func.func @multi_head_attention
// BERT-COUNT-2: linalg.batch_matmul

// LLAMA: func.func @subgraph0
// LLAMA-COUNT-64: tosa.matmul
