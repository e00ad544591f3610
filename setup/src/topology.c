/* Placeholder: being written (see topology.h). */
#include "topology.h"
