// Weight arguments that lapa-bind-weights cannot bind: a tensor missing from
// the file, another shape, another dtype, and a non-f32 argument. Each is an
// error at the function that names the argument and the tensor.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import struct, json; d = struct.pack('<4f', 1, 2, 3, 4); b = struct.pack('<2i', 1, 2); h = json.dumps({'w': {'dtype': 'F32', 'shape': [2, 2], 'data_offsets': [0, 16]}, 'ints': {'dtype': 'I32', 'shape': [2], 'data_offsets': [16, 24]}}).encode(); h += b' ' * (-len(h) % 8); open('%t/w.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + d + b)"
// RUN: lapa-opt %s -split-input-file --lapa-bind-weights=file=%t/w.safetensors -verify-diagnostics

// expected-error @below {{w.safetensors: tensor 'absent' not found; check the name and that the file is the expected one}}
func.func @absent(%w: tensor<2x2xf32> {lapa.weight = "absent"}) -> tensor<2x2xf32> {
  return %w : tensor<2x2xf32>
}

// -----

// expected-error @below {{w.safetensors: tensor 'w' has shape [2, 2], expected [4]}}
func.func @shape(%w: tensor<4xf32> {lapa.weight = "w"}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

// -----

// expected-error @below {{w.safetensors: tensor 'ints' has dtype I32, expected F32}}
func.func @dtype(%w: tensor<2xf32> {lapa.weight = "ints"}) -> tensor<2xf32> {
  return %w : tensor<2xf32>
}

// -----

// expected-error @below {{argument 0 ('n') has the type 'tensor<2xi32>'; lapa-bind-weights binds f32 tensors of static shape}}
func.func @integer(%w: tensor<2xi32> {lapa.weight = "n"}) -> tensor<2xi32> {
  return %w : tensor<2xi32>
}
