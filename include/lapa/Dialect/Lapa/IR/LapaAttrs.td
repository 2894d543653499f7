//===- LapaAttrs.td - Attributes of the lapa dialect -------*- tablegen -*-===//
//
// The predictor configuration and the hardware target.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_DIALECT_LAPA_IR_LAPAATTRS_TD
#define LAPA_DIALECT_LAPA_IR_LAPAATTRS_TD

include "lapa/Dialect/Lapa/IR/LapaBase.td"
include "mlir/IR/AttrTypeBase.td"

class Lapa_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Lapa_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

class Lapa_OptionalUnsigned<string desc>
    : OptionalParameter<"std::optional<unsigned>", desc>;
class Lapa_OptionalFloat<string desc>
    : OptionalParameter<"::mlir::FloatAttr", desc>;

def Lapa_PredictorAttr : Lapa_Attr<"Predictor", "predictor"> {
  let summary = "Attention predictor scheme and its parameters";
  let description = [{
    Names the prediction scheme and the parameters that differ from the
    scheme's defaults:

    ```mlir
    #lapa.predictor<lapa>
    #lapa.predictor<lapa, keep_ratio = 0.125, filter = maxmean,
                    filter_alpha = 0.5>
    #lapa.predictor<lapa, rounds = 3, slices = [2, 3, 3],
                    accumulator_bits = [24, 27, 30]>
    #lapa.predictor<sanger, threshold = 0.02>
    #lapa.predictor<oracle, keep_ratio = 0.5>
    ```

    Schemes: `lapa` (ALOC + MRSA + DDF + top-k), `sofa` (one-operand log
    product, one round, segmented top-k), `fact` (log product of both
    operands), `sanger` (low-bit quantized scores, softmax-probability
    threshold), `energon` (multi-round filtering at rising precision),
    `spatten` (cascade token pruning), `oracle` (exact top-k of the float
    scores) and `dense` (every key).

    Parameters, with the defaults of the `lapa` scheme:

    | parameter | default | meaning |
    |---|---|---|
    | `key_log_coded` | `weight` | operand of K-hat = X . W_K that is log-coded (`weight` or `activation`) |
    | `query_source` | `formal` | `formal` Q, or Q-hat predicted with ALOC (`aloc`) |
    | `activation_bits` | 8 | width of the layer input X |
    | `weight_bits` | 8 | width of W_K and W_Q |
    | `query_bits` | 16 | width of the query before log coding |
    | `key_bits` | 8 | width of K-hat after requantization (the sliced operand) |
    | `key_accumulator_bits` | 32 | accumulator width of the key prediction |
    | `rounds` | 2 | MRSA rounds R |
    | `slices` | [4, 4] | slice widths of K-hat, most significant first; they sum to `key_bits` |
    | `accumulator_bits` | [26, 30] | accumulator width of each round |
    | `filter` | `safe` | DDF rule between rounds: `none`, `safe`, `maxmean`, `radius` |
    | `filter_alpha` | 0.5 | weight of the row maximum in the `maxmean` rule |
    | `filter_radius` | 0 | radius of the `radius` rule, in partial-score units |
    | `select` | `topk` | final selection: `topk` or `threshold` |
    | `keep_ratio` | 0.25 | fraction of the visible keys kept per row, in (0, 1] |
    | `threshold` | none | softmax-probability threshold of `select = threshold` |
    | `score_bits` | 4 | sanger: quantization width of Q and K |
    | `round_bits` | [2, 4] | energon: precision of each filtering round |
    | `segments` | 4 | sofa: row segments of the segmented top-k |
    | `msb_bits` | 6 | spatten: most significant bits fetched first |
    | `requant_threshold` | 0.1 | spatten: row-maximum probability below which all bits are fetched |

    A parameter that the scheme does not read is rejected, and so are values
    out of range: a keep ratio outside (0, 1], zero rounds, slice widths that
    do not sum to `key_bits`, `select = threshold` without `threshold`, and
    an unknown scheme.
  }];
  let parameters = (ins
    "::lapa::predict::Scheme":$scheme,
    OptionalParameter<"std::optional<::lapa::predict::LogCodedOperand>">:$keyLogCoded,
    OptionalParameter<"std::optional<::lapa::predict::QuerySource>">:$querySource,
    Lapa_OptionalUnsigned<"width of the layer input">:$activationBits,
    Lapa_OptionalUnsigned<"width of the projection weights">:$weightBits,
    Lapa_OptionalUnsigned<"width of the query">:$queryBits,
    Lapa_OptionalUnsigned<"width of K-hat">:$keyBits,
    Lapa_OptionalUnsigned<"key accumulator width">:$keyAccumulatorBits,
    Lapa_OptionalUnsigned<"MRSA rounds">:$rounds,
    OptionalArrayRefParameter<"unsigned", "slice widths">:$slices,
    OptionalArrayRefParameter<"unsigned", "round accumulator widths">:$accumulatorBits,
    OptionalParameter<"std::optional<::lapa::predict::FilterRule>">:$filter,
    Lapa_OptionalFloat<"max-mean weight">:$filterAlpha,
    Lapa_OptionalFloat<"radius">:$filterRadius,
    OptionalParameter<"std::optional<::lapa::predict::SelectMode>">:$select,
    Lapa_OptionalFloat<"keep ratio">:$keepRatio,
    Lapa_OptionalFloat<"probability threshold">:$threshold,
    Lapa_OptionalUnsigned<"sanger score width">:$scoreBits,
    OptionalArrayRefParameter<"unsigned", "energon round precisions">:$roundBits,
    Lapa_OptionalUnsigned<"sofa segments">:$segments,
    Lapa_OptionalUnsigned<"spatten MSB bits">:$msbBits,
    Lapa_OptionalFloat<"spatten requantization threshold">:$requantThreshold
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    AttrBuilder<(ins "::lapa::predict::Scheme":$scheme), [{
      return $_get($_ctxt, scheme, std::nullopt, std::nullopt, std::nullopt,
                   std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                   std::nullopt, ::llvm::ArrayRef<unsigned>(),
                   ::llvm::ArrayRef<unsigned>(), std::nullopt, FloatAttr(),
                   FloatAttr(), std::nullopt, FloatAttr(), FloatAttr(),
                   std::nullopt, ::llvm::ArrayRef<unsigned>(), std::nullopt,
                   std::nullopt, FloatAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    /// Returns the full configuration: the scheme's defaults with the
    /// parameters of this attribute applied.
    ::lapa::predict::PredictorConfig getConfig() const;

    /// Returns an attribute that states every parameter of `config` that
    /// differs from its scheme's default. Does not verify it.
    static PredictorAttr fromConfig(::mlir::MLIRContext *context,
                                    const ::lapa::predict::PredictorConfig &config);

    /// Returns the IR names of the parameters this attribute sets.
    ::llvm::SmallVector<::llvm::StringRef> getSetParameterNames() const;
  }];
}

def Lapa_TargetAttr : Lapa_Attr<"Target", "target"> {
  let summary = "The accelerator configuration a module is compiled for";
  let description = [{
    Names the hardware configuration (a YAML file) that sizes tiles,
    buffers and instructions. Attached to a module as `lapa.target`:

    ```mlir
    module attributes {lapa.target = #lapa.target<"lapa-28nm",
                        config = "examples/hw/lapa-28nm.yaml">} { ... }
    ```
  }];
  let parameters = (ins
    StringRefParameter<"configuration name">:$name,
    OptionalParameter<"::mlir::StringAttr", "path of the configuration file">:$config
  );
  let assemblyFormat = "`<` $name (`,` `config` `=` $config^)? `>`";
  let genVerifyDecl = 1;
}

#endif // LAPA_DIALECT_LAPA_IR_LAPAATTRS_TD
