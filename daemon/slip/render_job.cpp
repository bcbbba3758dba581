#include "slip/render_job.hpp"

#include <variant>

namespace ravao::slip {

result<raster> render_job(fonts& f, std::string_view kind, std::string_view content_json, int width_dots) {
  auto content = decode(kind, content_json);
  if (!content) return std::unexpected(content.error());
  return render_job(f, *content, width_dots);
}

result<raster> render_job(fonts& f, const job_content& content, int width_dots) {
  struct {
    fonts& f;
    int width;
    result<raster> operator()(const slip_content& c) const { return render_slip(f, c, width); }
    result<raster> operator()(const card_content& c) const { return render_command_card(f, c, width); }
    result<raster> operator()(const test_page_content& c) const { return render_test_page(f, c, width); }
    result<raster> operator()(const poster_content& c) const { return render_poster(f, c, width); }
    result<raster> operator()(const declaration_copy_content& c) const { return render_declaration_copy(f, c, width); }
  } draw{f, width_dots};
  return std::visit(draw, content);
}

}  // namespace ravao::slip
