# clang-14 + Debian's wasi-libc (sysroot under /usr).
set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
set(CMAKE_C_COMPILER clang-14)
set(CMAKE_C_COMPILER_TARGET wasm32-unknown-wasi)
set(CMAKE_C_FLAGS_INIT "--target=wasm32-wasi")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--target=wasm32-wasi")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
