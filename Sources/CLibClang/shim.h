/* libclang's C API, from Debian's libclang-dev (headers under /usr/lib/llvm-14/include). */
#include <clang-c/Index.h>
#include <clang-c/CXCompilationDatabase.h>
