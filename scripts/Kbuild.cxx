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

xsc_cxx_flags = $(filter-out $(xsc_c_only_flags),$(c_flags)) \
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
