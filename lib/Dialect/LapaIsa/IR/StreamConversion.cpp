//===- StreamConversion.cpp - lapa_isa programs to and from streams -----===//

#include "lapa/Dialect/LapaIsa/IR/StreamConversion.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::lapa_isa;
namespace isa = ::lapa::isa;

namespace {

/// The MLIR element type that stores an ISA element type (unsigned types
/// are stored as signless integers of their width).
Type storageType(MLIRContext *context, isa::ElementType type) {
  switch (type) {
  case isa::ElementType::I8:
  case isa::ElementType::U8:
    return IntegerType::get(context, 8);
  case isa::ElementType::I16:
  case isa::ElementType::U16:
    return IntegerType::get(context, 16);
  case isa::ElementType::I32:
    return IntegerType::get(context, 32);
  case isa::ElementType::F32:
    return Float32Type::get(context);
  }
  return {};
}

/// Builds the ops of `nodes` at the builder's insertion point. The ops of
/// instructions and stage markers are appended to `leaves`, each with the
/// list of its step dictionaries so far (innermost repeat first).
LogicalResult buildNodes(OpBuilder &builder, Location loc,
                         llvm::ArrayRef<isa::RepeatNode> nodes,
                         std::vector<std::pair<Operation *,
                                               SmallVector<Attribute, 2>>> &leaves) {
  for (const isa::RepeatNode &node : nodes) {
    switch (node.kind) {
    case isa::RepeatNode::Kind::Instruction: {
      FailureOr<Operation *> op = buildInstruction(builder, loc, node.instruction);
      if (failed(op))
        return failure();
      leaves.push_back({*op, {}});
      break;
    }
    case isa::RepeatNode::Kind::Stage: {
      auto stage = StageOp::create(builder, loc, builder.getStringAttr(node.stage),
                                   builder.getI64IntegerAttr(node.layer),
                                   ArrayAttr());
      leaves.push_back({stage, {}});
      break;
    }
    case isa::RepeatNode::Kind::Repeat: {
      auto repeat = RepeatOp::create(builder, loc,
                                     builder.getI64IntegerAttr(node.count));
      Block &body = repeat.getBody().emplaceBlock();
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointToEnd(&body);
      size_t first = leaves.size();
      if (failed(buildNodes(builder, loc, node.body, leaves)))
        return failure();
      if (leaves.size() - first != node.steps.size())
        return emitError(loc) << "a repeat lists " << node.steps.size()
                              << " steps for " << leaves.size() - first
                              << " instructions and stage markers";
      for (size_t l = first; l < leaves.size(); ++l) {
        FailureOr<DictionaryAttr> dict =
            stepsDictionary(leaves[l].first, node.steps[l - first]);
        if (failed(dict))
          return leaves[l].first->emitError()
                 << "a repeat steps a word that is not a field of this op";
        leaves[l].second.push_back(*dict);
      }
      break;
    }
    }
  }
  return success();
}

} // namespace

FailureOr<ProgramOp>
mlir::lapa_isa::buildProgram(OpBuilder &builder, Location loc, StringRef name,
                             const isa::StreamFile &stream,
                             const ::lapa::hardware::HardwareConfig &config,
                             bool foldRepeats,
                             const isa::RepeatOptions &options) {
  if (stream.configFingerprint != config.fingerprint())
    return emitError(loc) << "the stream was built for configuration '"
                          << stream.configName << "' (fingerprint "
                          << llvm::formatv("{0:x16}", stream.configFingerprint).str()
                          << "), not for '" << config.name << "' (fingerprint "
                          << llvm::formatv("{0:x16}", config.fingerprint()).str()
                          << "); give the configuration it was compiled for";
  MLIRContext *context = builder.getContext();
  auto program = ProgramOp::create(
      builder, loc, builder.getStringAttr(name),
      builder.getStringAttr(config.name), builder.getStringAttr(config.toYaml()),
      builder.getI64IntegerAttr(static_cast<int64_t>(config.fingerprint())));
  Block &body = program.getBody().emplaceBlock();
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(&body);

  for (const isa::TensorInfo &tensor : stream.tensors) {
    SmallVector<int64_t> shape(tensor.shape.begin(), tensor.shape.end());
    auto op = TensorOp::create(
        builder, loc, builder.getStringAttr(tensor.name),
        builder.getStringAttr(isa::tensorRoleName(tensor.role)),
        builder.getStringAttr(isa::elementTypeName(tensor.type)),
        builder.getDenseI64ArrayAttr(shape),
        builder.getI64IntegerAttr(static_cast<int64_t>(tensor.dramAddress)),
        tensor.scaleTensor.empty()
            ? FlatSymbolRefAttr()
            : FlatSymbolRefAttr::get(context, tensor.scaleTensor),
        ElementsAttr());
    if (tensor.constantOffset != UINT64_MAX) {
      uint64_t bytes = tensor.byteSize();
      if (tensor.constantOffset + bytes > stream.constants.size())
        return emitError(loc) << "the constants of tensor " << tensor.name
                              << " lie outside the constants segment";
      auto type = RankedTensorType::get(shape, storageType(context, tensor.type));
      ArrayRef<char> raw(
          reinterpret_cast<const char *>(stream.constants.data()) +
              tensor.constantOffset,
          bytes);
      op.setValueAttr(DenseElementsAttr::getFromRawBuffer(type, raw));
    }
  }
  for (const std::string &record : stream.predictors)
    PredictorOp::create(builder, loc, builder.getStringAttr(record));

  // Without folding, the search stops before its first level: the nodes
  // are the instructions and stage markers themselves.
  isa::RepeatOptions search = options;
  if (!foldRepeats)
    search.maxDepth = 0;
  std::vector<isa::RepeatNode> nodes =
      isa::findRepeats(stream.instructions, stream.stages, search);
  std::vector<std::pair<Operation *, SmallVector<Attribute, 2>>> leaves;
  if (failed(buildNodes(builder, loc, nodes, leaves)))
    return failure();
  for (auto &[op, steps] : leaves) {
    bool anySteps = llvm::any_of(steps, [](Attribute dict) {
      return !cast<DictionaryAttr>(dict).empty();
    });
    if (anySteps)
      op->setAttr("steps", builder.getArrayAttr(steps));
  }
  return program;
}

FailureOr<isa::StreamFile> mlir::lapa_isa::exportProgram(ProgramOp program) {
  isa::StreamFile stream;
  stream.configFingerprint = static_cast<uint64_t>(program.getFingerprint());
  stream.configName = program.getConfigName().str();
  for (Operation &op : program.getBody().front()) {
    if (auto tensor = dyn_cast<TensorOp>(op)) {
      isa::TensorInfo info;
      info.name = tensor.getSymName().str();
      info.role = *isa::parseTensorRole(tensor.getRole());
      info.type = *isa::parseElementType(tensor.getDtype());
      for (int64_t dim : tensor.getShape())
        info.shape.push_back(static_cast<uint64_t>(dim));
      info.dramAddress = static_cast<uint64_t>(tensor.getAddress());
      if (auto scales = tensor.getScalesAttr())
        info.scaleTensor = scales.getValue().str();
      if (auto value = tensor.getValueAttr()) {
        auto dense = dyn_cast<DenseElementsAttr>(value);
        if (!dense)
          return tensor.emitOpError()
                 << "has an initial value that is not a dense constant";
        size_t offset = (stream.constants.size() + 7) / 8 * 8;
        stream.constants.resize(offset);
        uint64_t bytes = info.byteSize();
        if (dense.isSplat()) {
          ArrayRef<char> raw = dense.getRawData();
          for (uint64_t i = 0; i < info.elementCount(); ++i)
            stream.constants.insert(stream.constants.end(), raw.begin(),
                                    raw.end());
        } else {
          ArrayRef<char> raw = dense.getRawData();
          if (raw.size() != bytes)
            return tensor.emitOpError()
                   << "has " << raw.size() << " bytes of initial value for "
                   << bytes << " bytes of tensor";
          stream.constants.insert(stream.constants.end(), raw.begin(),
                                  raw.end());
        }
        info.constantOffset = offset;
      }
      stream.tensors.push_back(std::move(info));
    } else if (auto predictor = dyn_cast<PredictorOp>(op)) {
      stream.predictors.push_back(predictor.getConfig().str());
    }
  }
  std::vector<isa::RepeatNode> nodes;
  std::vector<Operation *> leafOps;
  collectNodes(program.getBody().front(), nodes, leafOps);
  stream.instructions.reserve(isa::expandedCount(nodes));
  isa::expandRepeats(nodes, stream.instructions, stream.stages);
  return stream;
}
