/* Placeholder: being written (see transcript.h). */
#include "transcript.h"
