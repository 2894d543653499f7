// Entry point appended to the BERT-tiny layer for the numeric test: fills
// the layer input with deterministic pseudo-random values and prints the
// whole layer output.
func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %input = tensor.generate {
  ^bb0(%b: index, %t: index, %h: index):
    %bt = arith.muli %b, %t : index
    %s = arith.addi %bt, %h : index
    %u = arith.addi %s, %t : index
    %i = arith.index_cast %u : index to i32
    %f = arith.sitofp %i : i32 to f32
    %g = math.sin %f : f32
    %scale = arith.constant 0.01 : f32
    %v = arith.mulf %g, %scale : f32
    tensor.yield %v : f32
  } : tensor<32x8x128xf32>
  %unused = arith.constant dense<0.0> : tensor<1x8xf32>
  %o = call @multi_head_attention(%input, %unused) : (tensor<32x8x128xf32>, tensor<1x8xf32>) -> tensor<32x8x128xf32>
  %u = tensor.cast %o : tensor<32x8x128xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
