// Pith's hot CPU kernels, in C so the compiler vectorizes them for this machine.
#pragma once
#include <stddef.h>
#include <stdint.h>
