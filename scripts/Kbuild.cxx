# SPDX-License-Identifier: GPL-2.0
#
# C++ (.cpp) in kernel modules.  The object is compiled with the kernel's own
# per-file C flags ($(c_flags): code model, no red zone, no SSE, retpolines,
# return thunks, SLS hardening, stack protector, ftrace), minus the flags that
# only C accepts and the headers the kernel forces into every C file, and goes
# through the same fixdep and objtool steps as a C object.  Include this from
# a Kbuild file that lists .o files built from .cpp sources.

# The C++ compiler of the C compiler that built the kernel (gcc-12 -> g++-12).
XSC_CXX ?= $(patsubst gcc%,g++%,$(firstword $(subst ",,$(CONFIG_CC_VERSION_TEXT))))

xsc_c_only_flags := -std=gnu% -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition \
	-Wdeclaration-after-statement -Wno-pointer-sign -Werror=strict-prototypes \
	-Werror=implicit-int -Werror=implicit-function-declaration \
	-Werror=incompatible-pointer-types -Werror=designated-init -Wmissing-parameter-type \
	-Wold-style-declaration -Wnested-externs -Wno-override-init \
	-include %/compiler-version.h %/kconfig.h %/compiler_types.h

# No DWARF for C++: kernels with CONFIG_DEBUG_INFO_BTF_MODULES run pahole
# over every module, and pahole (1.24, Debian 12) stops at C++'s template
# and reference tags ("Encountered error while encoding BTF"), which fails
# the build against Debian's 6.12 headers.  Stack traces need no DWARF
# (ORC and kallsyms); the C files of a module keep their debug info.
xsc_cxx_debug_flags := -g -g% -gdwarf% -gz% -gsplit-dwarf -fno-var-tracking% \
	-fdebug-prefix-map=% -ffile-prefix-map=%

xsc_cxx_flags = $(filter-out $(xsc_c_only_flags) $(xsc_cxx_debug_flags),$(c_flags)) -g0 \
	-std=gnu++17 -ffreestanding -nostdinc++ -fno-exceptions -fno-rtti \
	-fno-threadsafe-statics -fno-use-cxa-atexit -fno-unwind-tables \
	-fno-asynchronous-unwind-tables

quiet_cmd_cxx_o_cpp = CXX $(quiet_modtag) $@
      cmd_cxx_o_cpp = $(XSC_CXX) $(xsc_cxx_flags) -c -o $@ $< $(cmd_objtool)

define rule_cxx_o_cpp
	$(call cmd_and_fixdep,cxx_o_cpp)
	$(call cmd,gen_objtooldep)
endef

$(obj)/%.o: $(src)/%.cpp FORCE
	$(call if_changed_rule,cxx_o_cpp)
