//===- LapaTypes.td - Types of the lapa dialect ------------*- tablegen -*-===//
//
// The log-code element type that ALOC operands carry.
//
//===----------------------------------------------------------------------===//

#ifndef LAPA_DIALECT_LAPA_IR_LAPATYPES_TD
#define LAPA_DIALECT_LAPA_IR_LAPATYPES_TD

include "lapa/Dialect/Lapa/IR/LapaBase.td"
include "mlir/IR/AttrTypeBase.td"

class Lapa_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Lapa_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Lapa_LogCodeType : Lapa_Type<"LogCode", "log_code"> {
  let summary = "Sign and leading-one position of a signed integer";
  let description = [{
    An element of type `!lapa.log_code<N>` encodes a signed N-bit integer
    `v` as its sign `s(v)` and its leading-one position
    `LO(v) = floor(log2 |v|)`, the index of the most significant 1 of |v|.
    The value it stands for is `s(v) * 2^LO(v)`, which underestimates |v| by
    a factor in (0.5, 1].

    Values come from symmetric quantization, so |v| <= 2^(N-1) - 1 and
    `LO(v)` lies in [0, N - 2]. The exponent field has
    `ceil(log2 N)` bits; its value N - 1, which no leading-one position
    reaches, flags zero (the all-ones value for N = 8 and N = 16). With the sign bit the code is
    `1 + ceil(log2 N)` bits wide: 4 bits for INT8 weights and 5 bits for a
    16-bit query, the widths of the algorithm reference. Packed into a
    byte, bit `codeWidth - 1` is the sign and the low bits the exponent
    field.

    Example: `tensor<128x128x!lapa.log_code<8>>` is a log-coded INT8
    weight matrix.
  }];
  let parameters = (ins "unsigned":$sourceWidth);
  let assemblyFormat = "`<` $sourceWidth `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Returns the bit width of one code: the sign plus the exponent field.
    unsigned getCodeWidth() const;
    /// Returns the width of the exponent field.
    unsigned getExponentWidth() const;
    /// Returns the largest leading-one position a value of the source width
    /// can have.
    unsigned getMaxLeadingOne() const { return getSourceWidth() - 2; }
  }];
}

#endif // LAPA_DIALECT_LAPA_IR_LAPATYPES_TD
