//===- ModelDesc.h - A Transformer as the scheduler reads it ----*- C++ -*-===//
//
// The layer structure that the ISA lowering extracts from a raised graph:
// an embedding, a stack of layers (normalization, projections, rotary
// embedding, attention, feed-forward block, residual additions) and a
// head. The scheduler turns it into an instruction stream. The weights are
// float data when the graph carries them as constants, and absent when
// they are function arguments bound at run time (or never, for a
// timing-only run).
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_SCHEDULE_MODELDESC_H
#define LAPA_SCHEDULE_MODELDESC_H

#include "lapa/Predict/PredictorConfig.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lapa::schedule {

/// A projection weight stored as [in x out], the layout Y = X . W reads.
/// `data` is empty when the weight is bound at run time.
struct WeightDesc {
  std::string name;
  int64_t in = 0;
  int64_t out = 0;
  std::vector<float> data;
  /// Optional bias of `out` elements (empty when absent).
  std::vector<float> bias;
  bool hasBias = false;

  bool hasData() const { return !data.empty(); }
};

/// A vector parameter: a normalization gain or bias.
struct VectorDesc {
  std::string name;
  int64_t size = 0;
  std::vector<float> data;
};

enum class NormKind { Rms, Layer };

struct NormDesc {
  NormKind kind = NormKind::Rms;
  VectorDesc gain;
  /// LayerNorm only.
  std::optional<VectorDesc> bias;
  float eps = 1e-5f;
};

enum class FfnKind { SwiGlu, Gelu };

/// One pre-norm decoder or encoder layer:
///   h = x + Wo . attention(rope(Wq . n1(x)), rope(Wk . n1(x)), Wv . n1(x))
///   y = h + down(act(gate . n2(h)) * up . n2(h))      (SwiGLU)
///   y = h + down(gelu(up . n2(h)))                     (GELU)
struct LayerDesc {
  /// False when the projections read the layer input directly.
  bool hasAttentionNorm = true;
  NormDesc attentionNorm;
  WeightDesc query, key, value, output;
  /// Rotary embedding of Q and K with the model's tables.
  bool rotary = false;
  int64_t heads = 0;
  int64_t kvHeads = 0;
  int64_t headDim = 0;
  float scale = 0.0f;
  bool causal = false;
  /// The output projection is added to the layer input.
  bool residual = true;
  /// A feed-forward block (norm, projections, residual) follows.
  bool hasFfn = true;
  NormDesc ffnNorm;
  FfnKind ffn = FfnKind::SwiGlu;
  WeightDesc gate, up, down;
  predict::PredictorConfig predictor;
};

/// The rotary tables shared by the layers: cos and sin of the angle of
/// pair c at position p, [seqLen x headDim/2] each (empty when the tables
/// are bound at run time).
struct RopeDesc {
  int64_t headDim = 0;
  /// Pairs (c, c + D/2) as in Hugging Face Llama; else (2c, 2c+1).
  bool halfSplit = false;
  std::vector<float> cos;
  std::vector<float> sin;
};

/// A rectangle of the last hidden state [batch x seqLen rows x hidden].
struct SliceDesc {
  int64_t row = 0, rows = 0, col = 0, cols = 0;
};

/// A graph that does not follow the layer template (MobileBERT's
/// bottlenecks and stacked feed-forward blocks, its trigram embedding) is
/// read as a program: steps over values, each value f32 rows
/// [batch x seqLen rows x width] in DRAM.
enum class StepKind {
  /// Rows of `table` picked by the token ids: value row r of a sequence
  /// takes the id of row r + rowShift, or zeros when that row is outside
  /// the sequence. Writes columns [column, column + table.out) of `out`.
  Lookup,
  /// out = act(in . weight + bias) (+ `other` when set).
  Project,
  /// out = attention of layers[layer]: queries from the value `in`
  /// (already projected), keys and values projected from `keyInput` and
  /// `valueInput` by the layer's key and value weights.
  Attention,
  /// out = in + other.
  Add,
  /// out = in + constant, a [seqLen x width] table repeated per sequence.
  AddConstant,
  /// out = in * gain + bias, both vectors of `width` (MobileBERT's NoNorm).
  Affine,
};

struct StepDesc {
  StepKind kind = StepKind::Project;
  /// Names the step's weights in the memory map and its diagnostics.
  std::string name;
  int in = -1, other = -1, out = -1;
  /// The layer the step's energy and cycles are reported under (-1 for
  /// the embedding and head), and whether it is a feed-forward step.
  int32_t stageLayer = -1;
  bool ffn = false;
  /// Lookup.
  WeightDesc table;
  int64_t rowShift = 0;
  int64_t column = 0;
  /// Project.
  WeightDesc weight;
  bool relu = false;
  /// Attention.
  unsigned layer = 0;
  int keyInput = -1, valueInput = -1;
  /// AddConstant: seqLen x width values; Affine: width values each (gain
  /// empty for none).
  VectorDesc constant, gain, bias;
};

/// A model output taken from a program value: columns
/// [column, column + columns) of every row, stored row by row.
struct ProgramOutput {
  std::string name;
  int value = -1;
  int64_t column = 0;
  int64_t columns = 0;
  /// The output tensor's shape: the function result's when it has the same
  /// number of elements (MobileBERT returns [1 x 384] per logit column), or
  /// empty for [rows x columns].
  std::vector<int64_t> shape;
};

struct ProgramDesc {
  /// The width of each value.
  std::vector<int64_t> widths;
  std::vector<StepDesc> steps;
  std::vector<ProgramOutput> outputs;
};

struct ModelDesc {
  std::string name;
  /// Independent sequences; attention runs within each.
  int64_t batch = 1;
  int64_t seqLen = 0;
  int64_t hidden = 0;
  int64_t vocab = 0;
  /// True: the model starts with a token embedding; false: it reads the
  /// hidden states [batch x seqLen x hidden] as the input tensor "input".
  bool hasEmbedding = true;
  /// [vocab x hidden] float table read by the embedding lookup.
  WeightDesc embedding;
  std::vector<LayerDesc> layers;
  std::optional<RopeDesc> rope;
  /// False for a graph that ends with the last layer (no final norm and
  /// vocabulary projection).
  bool hasHead = true;
  NormDesc finalNorm;
  /// [hidden x vocab].
  WeightDesc lmHead;
  /// The model's results in order: "logits", "final_norm" (the normalized
  /// last hidden state), "hidden" (the last hidden state) or "result" (the
  /// rectangle `resultSlice` of the last hidden state).
  std::vector<std::string> outputs = {"logits"};
  std::optional<SliceDesc> resultSlice;
  /// Set for a graph read as a program. `layers` then holds only the
  /// attention of each layer (heads, key and value weights, predictor);
  /// the embedding, head and outputs above are unused.
  std::optional<ProgramDesc> program;
};

} // namespace lapa::schedule

#endif // LAPA_SCHEDULE_MODELDESC_H
