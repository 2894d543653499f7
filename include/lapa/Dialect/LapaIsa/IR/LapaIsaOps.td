//===- LapaIsaOps.td - The accelerator instruction-stream dialect -*- tablegen -*-===//
//
// `lapa_isa`: one op per instruction of the LAPA accelerator, inside a
// `lapa_isa.program` that carries the hardware configuration. The fields
// and their words follow include/lapa/Target/Stream/Isa.h; emission packs
// each op into one 64-byte instruction without further decisions.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_DIALECT_LAPAISA_IR_LAPAISAOPS_TD
#define LAPA_DIALECT_LAPAISA_IR_LAPAISAOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def LapaIsa_Dialect : Dialect {
  let name = "lapa_isa";
  let cppNamespace = "::mlir::lapa_isa";
  let summary = "Instructions of the LAPA accelerator";
  let description = [{
    The instruction stream of a LAPA accelerator as IR. A
    `lapa_isa.program` holds the hardware configuration it was scheduled
    for, the DRAM memory map (`lapa_isa.tensor`), the predictor records
    (`lapa_isa.predictor`), stage markers (`lapa_isa.stage`) and the
    instructions in program order. Each instruction op is one fixed-width
    instruction: buffer operands are `#lapa_isa.buf<index, offset>` with the
    buffer index in the configuration's name-sorted buffer list, sizes and
    strides are element counts, and `wait`/`signal` name the units whose
    dependency tokens the instruction takes and gives. The program's
    verifier checks every instruction against the configuration through the
    same checker the simulator uses, so an address outside its buffer, a
    unit the configuration lacks or a width it cannot hold is rejected
    before emission. `docs/ISA.md` specifies the semantics and encoding.
  }];
  let useDefaultAttributePrinterParser = 1;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def LapaIsa_BufAttr : AttrDef<LapaIsa_Dialect, "Buf"> {
  let mnemonic = "buf";
  let summary = "A byte address inside an on-chip buffer";
  let description = [{
    `#lapa_isa.buf<2, 4096>` is byte 4096 of buffer 2 in the
    configuration's name-sorted buffer list.
  }];
  let parameters = (ins "uint32_t":$buffer, "uint32_t":$offset);
  let assemblyFormat = "`<` $buffer `,` $offset `>`";
}

//===----------------------------------------------------------------------===//
// Program structure
//===----------------------------------------------------------------------===//

class LapaIsa_Op<string mnemonic, list<Trait> traits = []>
    : Op<LapaIsa_Dialect, mnemonic, traits>;

def LapaIsa_ProgramOp : LapaIsa_Op<"program", [
    IsolatedFromAbove, NoTerminator, SingleBlock, Symbol, SymbolTable]> {
  let summary = "An instruction stream for one hardware configuration";
  let description = [{
    Holds, in program order, the memory map, predictor records, stage
    markers and instructions of one stream. `config` is the canonical YAML
    of the hardware configuration and `fingerprint` its fingerprint; both
    go into the stream header, and the verifier checks every instruction
    against `config`.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$config_name,
                       StrAttr:$config, I64Attr:$fingerprint);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name `for` $config_name attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
}

def LapaIsa_TensorOp : LapaIsa_Op<"tensor", [HasParent<"ProgramOp">, Symbol]> {
  let summary = "A tensor in DRAM";
  let description = [{
    One entry of the memory map: a role (`input`, `weight`, `output`,
    `scratch`), an element type (`i8`, `i16`, `i32`, `f32`, `u8`, `u16`), a
    shape and a byte address. `scales` names the f32 tensor of its
    quantization scales. `value`, when present, is the initial content that
    goes into the constants segment.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$role, StrAttr:$dtype,
                       DenseI64ArrayAttr:$shape, I64Attr:$address,
                       OptionalAttr<FlatSymbolRefAttr>:$scales,
                       OptionalAttr<ElementsAttr>:$value);
  let assemblyFormat = "$sym_name $role $dtype $shape `at` $address attr-dict";
  let hasVerifier = 1;
}

def LapaIsa_PredictorOp : LapaIsa_Op<"predictor", [HasParent<"ProgramOp">]> {
  let summary = "A predictor record";
  let description = [{
    The predictor configuration that prediction instructions name by their
    `record` index (the position of this op among the program's
    predictors), in the text form of the prediction library.
  }];
  let arguments = (ins StrAttr:$config);
  let assemblyFormat = "$config attr-dict";
  let hasVerifier = 1;
}

def LapaIsa_StageOp : LapaIsa_Op<"stage", [
    ParentOneOf<["ProgramOp", "RepeatOp"]>]> {
  let summary = "Start of a model stage";
  let description = [{
    The instructions after this marker, up to the next one, belong to
    `stage` (`prediction`, `kv_projection`, `attention`, `ffn`, `other`)
    of layer `layer` (-1 outside the layers). Reports break cycles and
    energy down by these ranges. Inside a `lapa_isa.repeat`, `steps` may
    give the layer's increment per iteration (a `layer` entry).
  }];
  let arguments = (ins StrAttr:$stage, I64Attr:$layer,
                       OptionalAttr<ArrayAttr>:$steps);
  let assemblyFormat = "$stage `layer` $layer attr-dict";
  let hasVerifier = 1;
}

def LapaIsa_RepeatOp : LapaIsa_Op<"repeat", [
    ParentOneOf<["ProgramOp", "RepeatOp"]>, NoTerminator, SingleBlock]> {
  let summary = "Instructions repeated with fields that step";
  let description = [{
    Runs its body `count` times. It is notation, not an instruction: the
    binary stream holds every iteration. An op in the body may carry
    `steps`, a list with one dictionary per enclosing repeat, innermost
    first. Each dictionary maps a field name to the amount the field grows
    per iteration of that repeat: buffer offsets, counts, strides, indices,
    DRAM addresses, and a stage's `layer`. Fields it does not name stay the
    same. So

    ```mlir
    lapa_isa.repeat 4 {
      lapa_isa.load {dram = 4096 : i64, dst = #lapa_isa.buf<4, 0>,
                     rows = 64 : i64, row_bytes = 64 : i64,
                     dram_stride = 64 : i64, buf_stride = 64 : i64,
                     steps = [{dram = 4096 : i64} ]}
    }
    ```

    loads four consecutive 4 KiB blocks into the same place.
    `lapa-lower-to-isa` folds the repeated patterns of a schedule into
    repeats (`lapa_isa::findRepeats` in the stream library), and
    `lapa-isa-expand-repeats` writes every iteration out. The verifier
    checks that every field stays in range in every iteration, and the
    program verifier checks every iteration against the configuration.
  }];
  let arguments = (ins I64Attr:$count);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$count attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Instructions
//===----------------------------------------------------------------------===//

// One operand word (or two, for a DRAM address) of an instruction.
class Field<string fieldName, int fieldWord, string fieldKind> {
  string name = fieldName;
  int word = fieldWord;
  // ref, opt_ref, u32, f32, dram.
  string kind = fieldKind;
}
class Ref<string n, int w> : Field<n, w, "Ref">;
class OptRef<string n, int w> : Field<n, w, "OptRef">;
class U32<string n, int w> : Field<n, w, "U32">;
class F32<string n, int w> : Field<n, w, "F32">;
class Dram<string n> : Field<n, 1, "Dram">;

class fieldConstraint<Field f> {
  Attr ret = !cond(!eq(f.kind, "Ref") : LapaIsa_BufAttr,
                   !eq(f.kind, "OptRef") : OptionalAttr<LapaIsa_BufAttr>,
                   !eq(f.kind, "F32") : F32Attr,
                   true : I64Attr);
}

// An instruction op: the common dependency and flag fields, then the
// operand fields. `flagNames` lists the flags the opcode accepts.
class LapaIsa_Inst<string mnemonic, string opcodeName, list<Field> opFields,
                   list<string> flagNames = []>
    : LapaIsa_Op<mnemonic, [ParentOneOf<["ProgramOp", "RepeatOp"]>]> {
  list<Field> fields = opFields;
  let arguments = !con(
      (ins DefaultValuedAttr<StrArrayAttr, "{}">:$wait,
           DefaultValuedAttr<StrArrayAttr, "{}">:$signal,
           DefaultValuedAttr<StrArrayAttr, "{}">:$flags,
           OptionalAttr<ArrayAttr>:$steps),
      !dag(ins, !foreach(f, opFields, fieldConstraint<f>.ret),
           !foreach(f, opFields, f.name)));
  let assemblyFormat = "attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static constexpr ::lapa::isa::Opcode kOpcode = ::lapa::isa::Opcode::}] #
      opcodeName # [{;
    /// The operand fields: attribute name, word index and kind.
    static ::llvm::ArrayRef<::mlir::lapa_isa::FieldInfo> getFieldInfos() {
      static const ::mlir::lapa_isa::FieldInfo infos[] = {}] #
      !interleave(!foreach(f, opFields,
          "{\"" # f.name # "\", " # f.word # ", ::mlir::lapa_isa::FieldKind::" #
          f.kind # "}"), ", ") # [{};
      return infos;
    }
    /// Returns the operand fields' values in the order of getFieldInfos(),
    /// read from the properties without a lookup by name.
    ::llvm::SmallVector<::mlir::Attribute, 12> getFieldValues() {
      auto &props = getProperties();
      (void)props;
      return {}] #
      !interleave(!foreach(f, opFields, "props." # f.name), ", ") # [{};
    }
    /// Sets the operand fields from `values` in the order of getFieldInfos()
    /// (null for an absent optional field), without a lookup by name.
    void setFieldValues(::llvm::ArrayRef<::mlir::Attribute> values) {
      auto &props = getProperties();
      unsigned index = 0;
      (void)props;
      (void)index;
      }] #
      !interleave(!foreach(f, opFields,
          "props." # f.name # " = ::llvm::cast_if_present<std::remove_reference_t<decltype(props." #
          f.name # ")>>(values[index++]);"), "\n      ") # [{
    }
    /// Sets the `wait`, `signal` and `flags` lists.
    void setControlLists(::mlir::ArrayAttr wait, ::mlir::ArrayAttr signal,
                         ::mlir::ArrayAttr flags) {
      auto &props = getProperties();
      props.wait = wait;
      props.signal = signal;
      props.flags = flags;
    }
    /// Returns the `wait`, `signal` and `flags` lists.
    ::std::array<::mlir::ArrayAttr, 3> getControlLists() {
      return {getWait(), getSignal(), getFlags()};
    }
    /// The flag names this instruction accepts.
    static ::llvm::ArrayRef<::llvm::StringLiteral> getFlagNames() {
      static const ::llvm::StringLiteral names[] = {"" }] #
      !interleave(!foreach(n, flagNames, ", \"" # n # "\""), "") # [{};
      return ::llvm::ArrayRef<::llvm::StringLiteral>(names).drop_front();
    }
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::verify() {
      if (::mlir::failed(::mlir::lapa_isa::verifyInstructionFields(
              *this, getFieldInfos(), getFieldValues(), getControlLists(),
              getFlagNames())))
        return ::mlir::failure();
      return ::mlir::lapa_isa::verifySteps(*this, getFieldInfos(),
                                           getFieldValues(), getStepsAttr());
    }
  }];
}

def LapaIsa_LoadOp : LapaIsa_Inst<"load", "Load",
    [Dram<"dram">, Ref<"dst", 3>, U32<"rows", 4>, U32<"row_bytes", 5>,
     U32<"dram_stride", 6>, U32<"buf_stride", 7>]> {
  let summary = "DMA a 2-D block from DRAM into a buffer";
}
def LapaIsa_StoreOp : LapaIsa_Inst<"store", "Store",
    [Dram<"dram">, Ref<"src", 3>, U32<"rows", 4>, U32<"row_bytes", 5>,
     U32<"dram_stride", 6>, U32<"buf_stride", 7>]> {
  let summary = "DMA a 2-D block from a buffer to DRAM";
}
def LapaIsa_LoadRowsOp : LapaIsa_Inst<"load_rows", "LoadRows",
    [Dram<"dram">, Ref<"dst", 3>, U32<"rows", 4>, U32<"row_bytes", 5>,
     U32<"dram_stride", 6>, U32<"buf_stride", 7>, Ref<"indices", 8>,
     U32<"table_rows", 9>]> {
  let summary = "DMA the table rows an index vector names (embedding lookup)";
}
def LapaIsa_GemmOp : LapaIsa_Inst<"gemm", "Gemm",
    [Ref<"a", 1>, Ref<"b", 2>, Ref<"c", 3>, U32<"m", 4>, U32<"n", 5>,
     U32<"k", 6>, U32<"lda", 7>, U32<"ldb", 8>, U32<"ldc", 9>,
     OptRef<"row_mask", 10>, U32<"mask_base", 11>],
    ["accumulate", "trans_b", "gather"]> {
  let summary = "INT8 matrix multiply on the MAC array, i32 results";
}
def LapaIsa_SddmmOp : LapaIsa_Inst<"sddmm", "Sddmm",
    [Ref<"a", 1>, Ref<"b", 2>, Ref<"c", 3>, U32<"m", 4>, U32<"t", 5>,
     U32<"k", 6>, U32<"lda", 7>, U32<"ldb", 8>, U32<"ldc", 9>,
     Ref<"indices", 10>, U32<"token_base", 11>]> {
  let summary = "Scores of the selected query-key pairs";
}
def LapaIsa_SpmmOp : LapaIsa_Inst<"spmm", "Spmm",
    [Ref<"p", 1>, Ref<"b", 2>, Ref<"c", 3>, U32<"m", 4>, U32<"n", 5>,
     U32<"t", 6>, U32<"lda", 7>, U32<"ldb", 8>, U32<"ldc", 9>,
     Ref<"indices", 10>, U32<"token_base", 11>]> {
  let summary = "Probability-weighted sum of the selected value rows";
}
def LapaIsa_SoftmaxOp : LapaIsa_Inst<"softmax", "Softmax",
    [Ref<"s", 1>, Ref<"p", 2>, U32<"m", 3>, U32<"t", 4>, F32<"scale", 5>,
     OptRef<"row_scales", 6>]> {
  let summary = "Row softmax of i32 scores, padding excluded";
}
def LapaIsa_DequantOp : LapaIsa_Inst<"dequant", "Dequant",
    [Ref<"x", 1>, Ref<"y", 2>, U32<"m", 3>, U32<"n", 4>,
     OptRef<"row_scales", 5>, OptRef<"col_scales", 6>, F32<"scale", 7>,
     U32<"ldx", 8>, U32<"ldy", 9>], ["accumulate"]> {
  let summary = "i32 to f32 with row, column and scalar scales";
}
def LapaIsa_QuantOp : LapaIsa_Inst<"quant", "Quant",
    [Ref<"x", 1>, Ref<"y", 2>, U32<"m", 3>, U32<"n", 4>, U32<"bits", 5>,
     Ref<"scales", 6>, U32<"ldx", 7>, U32<"ldy", 8>], ["per_tensor"]> {
  let summary = "f32 to symmetric integers with run-time absmax scales";
}
def LapaIsa_AddOp : LapaIsa_Inst<"add", "Add",
    [Ref<"a", 1>, Ref<"b", 2>, Ref<"y", 3>, U32<"m", 4>, U32<"n", 5>,
     U32<"lda", 6>, U32<"ldb", 7>, U32<"ldy", 8>], ["row_broadcast"]> {
  let summary = "Element-wise f32 addition";
}
def LapaIsa_MulOp : LapaIsa_Inst<"mul", "Mul",
    [Ref<"a", 1>, Ref<"b", 2>, Ref<"y", 3>, U32<"m", 4>, U32<"n", 5>,
     U32<"lda", 6>, U32<"ldb", 7>, U32<"ldy", 8>], ["row_broadcast"]> {
  let summary = "Element-wise f32 multiplication";
}
def LapaIsa_RmsNormOp : LapaIsa_Inst<"rms_norm", "RmsNorm",
    [Ref<"x", 1>, Ref<"g", 2>, Ref<"y", 3>, U32<"m", 4>, U32<"n", 5>,
     F32<"eps", 6>, U32<"ldx", 7>, U32<"ldy", 8>]> {
  let summary = "Row RMS normalization with a gain";
}
def LapaIsa_LayerNormOp : LapaIsa_Inst<"layer_norm", "LayerNorm",
    [Ref<"x", 1>, Ref<"g", 2>, Ref<"y", 3>, U32<"m", 4>, U32<"n", 5>,
     F32<"eps", 6>, U32<"ldx", 7>, U32<"ldy", 8>, Ref<"bias", 9>]> {
  let summary = "Row layer normalization with a gain and a bias";
}
def LapaIsa_SiluOp : LapaIsa_Inst<"silu", "Silu",
    [Ref<"x", 1>, Ref<"y", 2>, U32<"m", 3>, U32<"n", 4>, U32<"ldx", 5>,
     U32<"ldy", 6>]> {
  let summary = "x * sigmoid(x)";
}
def LapaIsa_GeluOp : LapaIsa_Inst<"gelu", "Gelu",
    [Ref<"x", 1>, Ref<"y", 2>, U32<"m", 3>, U32<"n", 4>, U32<"ldx", 5>,
     U32<"ldy", 6>]> {
  let summary = "GELU, tanh form";
}
def LapaIsa_ReluOp : LapaIsa_Inst<"relu", "Relu",
    [Ref<"x", 1>, Ref<"y", 2>, U32<"m", 3>, U32<"n", 4>, U32<"ldx", 5>,
     U32<"ldy", 6>]> {
  let summary = "ReLU: max(x, 0), exact";
}
def LapaIsa_RopeOp : LapaIsa_Inst<"rope", "Rope",
    [Ref<"x", 1>, Ref<"y", 2>, U32<"m", 3>, U32<"n", 4>, U32<"ldx", 5>,
     U32<"ldy", 6>, Ref<"cos", 7>, U32<"head_dim", 8>, Ref<"sin", 9>],
    ["half_split"]> {
  let summary = "Rotary embedding with cosine and sine tables";
}
def LapaIsa_LogEncodeOp : LapaIsa_Inst<"log_encode", "LogEncode",
    [Ref<"x", 1>, Ref<"c", 2>, U32<"m", 3>, U32<"n", 4>, U32<"bits", 5>,
     U32<"ldx", 6>, U32<"ldc", 7>]> {
  let summary = "Sign and leading-one codes of run-time integers";
}
def LapaIsa_KeyPredictOp : LapaIsa_Inst<"key_predict", "KeyPredict",
    [Ref<"x", 1>, Ref<"w", 2>, Ref<"y", 3>, U32<"m", 4>, U32<"n", 5>,
     U32<"k", 6>, U32<"ldx", 7>, U32<"ldw", 8>, U32<"ldy", 9>],
    ["accumulate"]> {
  let summary = "K-hat with shift-adds against log-coded weights (ALOC)";
}
def LapaIsa_ShiftAccumulateOp : LapaIsa_Inst<"shift_accumulate",
    "ShiftAccumulate",
    [Ref<"q", 1>, Ref<"khat", 2>, Ref<"p", 3>, U32<"m", 4>, U32<"n", 5>,
     U32<"d", 6>, U32<"row_base", 7>, U32<"round", 8>, Ref<"survivors", 9>,
     U32<"record", 10>], ["causal"]> {
  let summary = "One MRSA round of score prediction";
}
def LapaIsa_FilterOp : LapaIsa_Inst<"filter", "Filter",
    [Ref<"q", 1>, OptRef<"khat", 2>, Ref<"p", 3>, U32<"m", 4>, U32<"n", 5>,
     U32<"d", 6>, U32<"row_base", 7>, U32<"round", 8>, Ref<"survivors", 9>,
     U32<"record", 10>], ["causal"]> {
  let summary = "DDF between rounds (`khat` is always absent)";
}
def LapaIsa_TopKOp : LapaIsa_Inst<"topk", "TopK",
    [Ref<"p", 1>, Ref<"survivors", 2>, Ref<"indices", 3>, U32<"m", 4>,
     U32<"n", 5>, U32<"t", 6>, U32<"row_base", 7>, Ref<"needed", 9>,
     U32<"record", 10>, F32<"logit_scale", 12>], ["causal"]> {
  let summary = "Final selection and needed tokens";
}
def LapaIsa_PredictOp : LapaIsa_Inst<"predict", "Predict",
    [OptRef<"q", 1>, OptRef<"k", 2>, Ref<"indices", 3>, U32<"m", 4>,
     U32<"n", 5>, U32<"t", 6>, U32<"row_base", 7>, U32<"d", 8>,
     Ref<"needed", 9>, U32<"record", 10>, OptRef<"query_step", 11>,
     OptRef<"key_step", 12>,
     OptRef<"extra", 13>], ["causal"]> {
  let summary = "A whole prediction by a peer scheme";
}

def LapaIsa_ImportanceOp : LapaIsa_Inst<"importance", "Importance",
    [Ref<"p", 1>, Ref<"indices", 2>, Ref<"sums", 3>, U32<"m", 4>,
     U32<"t", 5>, U32<"n", 6>, U32<"token_base", 7>]> {
  let summary = "Add attention probabilities to per-key sums (SpAtten)";
}

#endif // LAPA_DIALECT_LAPAISA_IR_LAPAISAOPS_TD
