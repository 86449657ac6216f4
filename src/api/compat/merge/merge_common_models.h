// api/compat/merge/merge_common_models: Merge's common-model reads (GET /api/{category}/v1/{model} and
// /{model}/{id}, e.g. hris.employees.list / retrieve) over the linked account's synced copy: the models its
// model mapping shows in the category (engine/model_mapping), read back from the sync's destination
// (engine/records), rendered in Merge's envelope and paging shape.
#pragma once

#include "api/compat/merge/merge_auth.h"

namespace ferry::api::compat::merge {

// `path`: the common model's path segment ("employees"); retrieve's id is the route's {id}.
HttpResponse list_common_models(Services& services, const MergeRequest& request, const std::string& path);
HttpResponse retrieve_common_model(Services& services, const MergeRequest& request, const std::string& path);

}  // namespace ferry::api::compat::merge
