// The HTML module's text API, for the format parsers.
#pragma once

#include "parse/html/text.h"
