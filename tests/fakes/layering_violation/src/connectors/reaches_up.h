// A connector reaching into the engine: tests/layering_check.sh must reject this tree (ctest
// layering_check_rejects_violation). Never compiled.
#pragma once

#include "core/error.h"
#include "engine/control.h"
