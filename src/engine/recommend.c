/* Placeholder so the tree links until the engine lands; replaced by its owner. */
#include "engine/recommend.h"
#include "util/error.h"

int engine_open(const char *db_path, struct engine **out, char *err, size_t errlen)
{
    (void)db_path;
    *out = NULL;
    return err_set(err, errlen, "the recommendation engine is not built yet");
}
void engine_retain(struct engine *e) { (void)e; }
void engine_release(struct engine *e) { (void)e; }
const char *engine_warning(const struct engine *e) { (void)e; return "not built"; }
void engine_get_info(const struct engine *e, struct engine_info *info) { (void)e; (void)info; }
int engine_recommend(struct engine *e, const struct rec_request *req, struct rec_result *out,
                     char *err, size_t errlen)
{
    (void)e; (void)req; (void)out;
    return err_set(err, errlen, "the recommendation engine is not built yet");
}
struct cJSON *rec_result_to_json(const struct rec_result *r) { (void)r; return NULL; }
struct cJSON *engine_info_to_json(const struct engine *e) { (void)e; return NULL; }
struct cJSON *engine_user_json(struct engine *e, const char *user, int *found, char *err,
                               size_t errlen)
{
    (void)e; (void)user; *found = 0; err_set(err, errlen, "not built"); return NULL;
}
struct cJSON *engine_product_json(struct engine *e, const char *product_id, int *found,
                                  char *err, size_t errlen)
{
    (void)e; (void)product_id; *found = 0; err_set(err, errlen, "not built"); return NULL;
}
struct cJSON *models_list_json(const char *db_path, char *err, size_t errlen)
{
    (void)db_path; err_set(err, errlen, "not built"); return NULL;
}
int models_activate(const char *db_path, int64_t version, char *err, size_t errlen)
{
    (void)db_path; (void)version; return err_set(err, errlen, "not built");
}
int models_rollback(const char *db_path, int64_t *now_active, char *err, size_t errlen)
{
    (void)db_path; (void)now_active; return err_set(err, errlen, "not built");
}
