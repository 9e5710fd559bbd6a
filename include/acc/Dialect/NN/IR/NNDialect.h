//===- NNDialect.h - nn dialect ---------------------------------*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_DIALECT_NN_IR_NNDIALECT_H
#define ACC_DIALECT_NN_IR_NNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "acc/Dialect/NN/IR/NNOpsDialect.h.inc"

#endif // ACC_DIALECT_NN_IR_NNDIALECT_H
