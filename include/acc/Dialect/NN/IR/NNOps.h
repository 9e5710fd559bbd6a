//===- NNOps.h - nn dialect operations --------------------------*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_DIALECT_NN_IR_NNOPS_H
#define ACC_DIALECT_NN_IR_NNOPS_H

#include "acc/Dialect/NN/IR/NNDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "acc/Dialect/NN/IR/NNEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "acc/Dialect/NN/IR/NNAttrs.h.inc"

#define GET_OP_CLASSES
#include "acc/Dialect/NN/IR/NNOps.h.inc"

#endif // ACC_DIALECT_NN_IR_NNOPS_H
