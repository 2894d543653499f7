// An encoder attention block (two heads of 32, hidden size 64, no biases,
// no residual) as a front end exports it with a dynamic sequence length.
// Its splat weights are placeholders for lapa-randomize-weights. Used by
// dynamic-sequence.test.
func.func @encoder(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %wq = arith.constant dense<0.5> : tensor<64x64xf32>
  %wk = arith.constant dense<0.5> : tensor<64x64xf32>
  %wv = arith.constant dense<0.5> : tensor<64x64xf32>
  %wo = arith.constant dense<0.5> : tensor<64x64xf32>
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %scale = arith.constant 0.176776695 : f32
  %s = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%s) : tensor<?x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x64xf32>) -> tensor<?x64xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<?x64xf32>, tensor<64x64xf32>) outs(%f : tensor<?x64xf32>) -> tensor<?x64xf32>
  %k = linalg.matmul ins(%x, %wk : tensor<?x64xf32>, tensor<64x64xf32>) outs(%f : tensor<?x64xf32>) -> tensor<?x64xf32>
  %v = linalg.matmul ins(%x, %wv : tensor<?x64xf32>, tensor<64x64xf32>) outs(%f : tensor<?x64xf32>) -> tensor<?x64xf32>
  %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [%s, 2, 32] : tensor<?x64xf32> into tensor<?x2x32xf32>
  %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [%s, 2, 32] : tensor<?x64xf32> into tensor<?x2x32xf32>
  %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [%s, 2, 32] : tensor<?x64xf32> into tensor<?x2x32xf32>
  %eq = tensor.empty(%s) : tensor<2x?x32xf32>
  %qt = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%q3 : tensor<?x2x32xf32>) outs(%eq : tensor<2x?x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<2x?x32xf32>
  %ek = tensor.empty(%s) : tensor<2x32x?xf32>
  %kt = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%k3 : tensor<?x2x32xf32>) outs(%ek : tensor<2x32x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<2x32x?xf32>
  %vt = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%v3 : tensor<?x2x32xf32>) outs(%eq : tensor<2x?x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<2x?x32xf32>
  %es = tensor.empty(%s, %s) : tensor<2x?x?xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<2x?x?xf32>) -> tensor<2x?x?xf32>
  %sc = linalg.batch_matmul ins(%qt, %kt : tensor<2x?x32xf32>, tensor<2x32x?xf32>) outs(%fs : tensor<2x?x?xf32>) -> tensor<2x?x?xf32>
  %scaled = linalg.generic {indexing_maps = [affine_map<(h, i, j) -> (h, i, j)>, affine_map<(h, i, j) -> (h, i, j)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sc : tensor<2x?x?xf32>) outs(%es : tensor<2x?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %scale : f32
    linalg.yield %r : f32
  } -> tensor<2x?x?xf32>
  %er = tensor.empty(%s) : tensor<2x?xf32>
  %fm = linalg.fill ins(%ninf : f32) outs(%er : tensor<2x?xf32>) -> tensor<2x?xf32>
  %max = linalg.generic {indexing_maps = [affine_map<(h, i, j) -> (h, i, j)>, affine_map<(h, i, j) -> (h, i)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%scaled : tensor<2x?x?xf32>) outs(%fm : tensor<2x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<2x?xf32>
  %sh = linalg.generic {indexing_maps = [affine_map<(h, i, j) -> (h, i, j)>, affine_map<(h, i, j) -> (h, i)>, affine_map<(h, i, j) -> (h, i, j)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%scaled, %max : tensor<2x?x?xf32>, tensor<2x?xf32>) outs(%es : tensor<2x?x?xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<2x?x?xf32>
  %ex = linalg.generic {indexing_maps = [affine_map<(h, i, j) -> (h, i, j)>, affine_map<(h, i, j) -> (h, i, j)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sh : tensor<2x?x?xf32>) outs(%es : tensor<2x?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<2x?x?xf32>
  %fz = linalg.fill ins(%zero : f32) outs(%er : tensor<2x?xf32>) -> tensor<2x?xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(h, i, j) -> (h, i, j)>, affine_map<(h, i, j) -> (h, i)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ex : tensor<2x?x?xf32>) outs(%fz : tensor<2x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<2x?xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(h, i, j) -> (h, i, j)>, affine_map<(h, i, j) -> (h, i)>, affine_map<(h, i, j) -> (h, i, j)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ex, %sum : tensor<2x?x?xf32>, tensor<2x?xf32>) outs(%es : tensor<2x?x?xf32>) {
  ^bb0(%a: f32, %z: f32, %o: f32):
    %r = arith.divf %a, %z : f32
    linalg.yield %r : f32
  } -> tensor<2x?x?xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eq : tensor<2x?x32xf32>) -> tensor<2x?x32xf32>
  %ctx = linalg.batch_matmul ins(%p, %vt : tensor<2x?x?xf32>, tensor<2x?x32xf32>) outs(%fo : tensor<2x?x32xf32>) -> tensor<2x?x32xf32>
  %e3 = tensor.empty(%s) : tensor<?x2x32xf32>
  %ct = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ctx : tensor<2x?x32xf32>) outs(%e3 : tensor<?x2x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<?x2x32xf32>
  %cc = tensor.collapse_shape %ct [[0], [1, 2]] : tensor<?x2x32xf32> into tensor<?x64xf32>
  %y = linalg.matmul ins(%cc, %wo : tensor<?x64xf32>, tensor<64x64xf32>) outs(%f : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
