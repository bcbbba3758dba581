#pragma once
// A plain-text table for ravaoctl's human output: columns padded to the
// widest cell, width counted in characters (UTF-8 aware, combining marks
// take no column) so Vietnamese names line up.

#include <string>
#include <string_view>
#include <vector>

namespace ravao::ctl {

std::size_t display_width(std::string_view utf8);

class table {
 public:
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace ravao::ctl
