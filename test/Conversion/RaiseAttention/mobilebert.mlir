// MobileBERT computes each head's scores with its own matmul and joins them
// with tensor.insert_slice, then splits the probabilities again with
// tensor.extract_slice. The matcher does not follow those slices yet.
// REQUIRES: shared-models, mlir
// XFAIL: *
// RUN: lapa-opt %shared_models/mobilebert-squad-linalg/mobilebert-linalg-stripped-mlir22.mlir --lapa-raise-attention | FileCheck %s
// CHECK-COUNT-24: lapa.attention
