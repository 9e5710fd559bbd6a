# -*- Python -*-
# lit configuration for acc's regression tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "ACC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "README.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.acc_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%acc_src_root", config.acc_src_root))
config.substitutions.append(("%acc_obj_root", config.acc_obj_root))
config.substitutions.append(("%python", config.python_executable))
# acc's runtime library, linked with every compiled object.
config.substitutions.append(
    ("%acc_runtime", os.path.join(config.acc_obj_root, "lib", "libacc_runtime.a")))
# `%expect-exit N cmd...` runs cmd and fails unless it exits normally with
# status N (a crash or a signal never passes); stderr is passed through.
config.substitutions.append(
    ("%expect-exit",
     "%s %s" % (config.python_executable,
                os.path.join(config.acc_src_root, "test", "lit-helpers", "expect_exit.py"))))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.acc_tools_dir, config.llvm_tools_dir]
tools = ["acc-compile", "acc-import-onnx", "acc-opt"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.acc_tools_dir, append_path=True)
