#pragma once
// Private to daemon/config: the [form] section (docs/configuration.md, "The
// declaration form"). Its entries are not scalar keys of the schema table
// (booleans, arrays of options, a nested [[form.field]] array), so it has its
// own reader; the rules of a definition live with it in slip/form_definition.

#include <string>
#include <vector>

#include <toml++/toml.h>

#include "slip/form_definition.hpp"

namespace ravao::config_form {

struct problem {
  int line = 0;
  std::string message;
};

// Reads [form] (`node` may be null: the default form) into `out`, appending
// every problem with its line. Without [[form.field]] entries the default
// fields stay (a province may change only the consent sentence).
void load_form(const toml::node* node, slip::form_definition& out, std::vector<problem>& problems);

}  // namespace ravao::config_form
