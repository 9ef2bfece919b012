#include "pith_kernels.h"
