// Debian's libzstd-dev: lossless compression of package sections.
#include <zstd.h>
