/* records.h - part of the binding (included by module.c only): Python dicts -> the core's records,
 * generically from the field tables of cnn.h. A dict's keys are field names; a missing key takes the
 * table's default. Unknown key, wrong type or a value the core refuses raise ValueError / TypeError
 * naming the record, the field and the value. */

static const char *field_kind(int type)
{
    switch (type) {
    case CNN_FIELD_F32:
    case CNN_FIELD_F64: return "a number";
    case CNN_FIELD_INT:
    case CNN_FIELD_LONG:
    case CNN_FIELD_U64: return "an integer";
    case CNN_FIELD_BOOL: return "a bool or 0/1";
    case CNN_FIELD_ENUM: return "a name (str)";
    case CNN_FIELD_SHAPE: return "a sequence of positive integers";
    case CNN_FIELD_RECORD: return "a dict or None";
    default: return "a sequence of numbers";
    }
}

static int wrong_type(const char *what, const cnn_field *f, PyObject *v)
{
    PyErr_Format(PyExc_TypeError, "%s field '%s' must be %s, got %R", what, f->name, field_kind(f->type), v);
    return 0;
}

static int bad_value(const char *what, const cnn_field *f, PyObject *v)
{
    if (f->type <= CNN_FIELD_LONG) {
        PyObject *lo = PyFloat_FromDouble(f->lo), *hi = PyFloat_FromDouble(f->hi);
        if (lo && hi)
            PyErr_Format(PyExc_ValueError, "%s field '%s' must be %s in [%R, %R], got %R", what, f->name,
                         f->type <= CNN_FIELD_F64 ? "a number" : "an integer", lo, hi, v);
        Py_XDECREF(lo);
        Py_XDECREF(hi);
    } else {
        PyErr_Format(PyExc_ValueError, "%s field '%s': invalid value %R", what, f->name, v);
    }
    return 0;
}

static int is_real(PyObject *v)
{
    return PyFloat_Check(v) || PyLong_Check(v)
           || (PyNumber_Check(v) && !PyUnicode_Check(v) && !PyComplex_Check(v));
}

/* An integer field from an int (or an integral float). */
static int set_integer(const char *what, const cnn_field *f, PyObject *v, void *rec)
{
    if (PyFloat_Check(v) || (!PyIndex_Check(v) && is_real(v))) {
        double d = PyFloat_AsDouble(v);
        if (d == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return wrong_type(what, f, v);
        }
        return cnn_field_set_number(f, rec, d) == CNN_OK ? 1 : bad_value(what, f, v);
    }
    if (!PyIndex_Check(v)) return wrong_type(what, f, v);
    PyObject *i = PyNumber_Index(v);
    if (!i) return 0;
    int overflow = 0, ok;
    long long x = PyLong_AsLongLongAndOverflow(i, &overflow);
    if (x == -1 && PyErr_Occurred()) {
        Py_DECREF(i);
        return 0;
    }
    if (overflow > 0 && f->type == CNN_FIELD_U64) {
        unsigned long long u = PyLong_AsUnsignedLongLong(i);
        if (u == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            ok = 0;
        } else ok = cnn_field_set_int(f, rec, (long long)u, 1) == CNN_OK;
    } else {
        ok = !overflow && cnn_field_set_int(f, rec, x, 0) == CNN_OK;
    }
    Py_DECREF(i);
    return ok ? 1 : bad_value(what, f, v);
}

static int parse_record(PyObject *d, const cnn_record_desc *desc, void *rec, const char *what);

static int parse_value(const char *what, const cnn_field *f, PyObject *v, void *rec)
{
    char *at = (char *)rec + f->offset;
    switch (f->type) {
    case CNN_FIELD_F32:
    case CNN_FIELD_F64: {
        if (!is_real(v)) return wrong_type(what, f, v);
        double d = PyFloat_AsDouble(v);
        if (d == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return wrong_type(what, f, v);
        }
        return cnn_field_set_number(f, rec, d) == CNN_OK ? 1 : bad_value(what, f, v);
    }
    case CNN_FIELD_INT:
    case CNN_FIELD_BOOL:
    case CNN_FIELD_LONG:
    case CNN_FIELD_U64: return set_integer(what, f, v, rec);
    case CNN_FIELD_ENUM: {
        if (!PyUnicode_Check(v)) return wrong_type(what, f, v);
        const char *name = PyUnicode_AsUTF8(v);
        if (!name) return 0;
        int k = cnn_enum_value(f->sub, name);
        if (k < 0) {
            PyErr_Format(PyExc_ValueError, "%s field '%s': unknown name %R", what, f->name, v);
            return 0;
        }
        memcpy(at, &k, sizeof k);
        return 1;
    }
    case CNN_FIELD_RECORD:
        if (v == Py_None) return 1;
        return parse_record(v, f->sub, at, f->name);
    case CNN_FIELD_SHAPE:
    case CNN_FIELD_F64_ARRAY:
    case CNN_FIELD_I32_ARRAY:
    case CNN_FIELD_I64_LIST: {
        if (f->type == CNN_FIELD_I64_LIST && v == Py_None) return 1;
        if (!PyList_Check(v) && !PyTuple_Check(v)) return wrong_type(what, f, v);
        PyObject *seq = PySequence_Fast(v, "a sequence");
        if (!seq) return 0;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        long cap = f->type == CNN_FIELD_SHAPE                                         ? CNN_MAX_DIMS
                   : f->type == CNN_FIELD_F64_ARRAY || f->type == CNN_FIELD_I32_ARRAY ? f->capacity
                                                                                      : LONG_MAX;
        int ok = n <= cap && (f->type != CNN_FIELD_SHAPE || n >= 1);
        if (!ok) bad_value(what, f, v);
        cnn_shape *shape = (cnn_shape *)at;
        int64_t *list = NULL;
        if (ok && f->type == CNN_FIELD_I64_LIST) {
            list = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
            if (!list) {
                PyErr_NoMemory();
                ok = 0;
            }
        }
        /* each element through a scratch field of the element's type */
        cnn_field elem = {f->name,
                          f->type == CNN_FIELD_F64_ARRAY ? CNN_FIELD_F64 : CNN_FIELD_LONG,
                          0,
                          0,
                          f->type == CNN_FIELD_SHAPE ? 1 : -9007199254740992.0,
                          9007199254740992.0,
                          NULL,
                          0,
                          0,
                          0};
        if (f->type == CNN_FIELD_F64_ARRAY) elem.lo = -INFINITY, elem.hi = INFINITY;
        if (f->type == CNN_FIELD_I32_ARRAY) elem.lo = f->lo, elem.hi = f->hi;
        for (Py_ssize_t i = 0; ok && i < n; i++) {
            union {
                double d;
                long l;
            } slot;
            ok = parse_value(what, &elem, PySequence_Fast_GET_ITEM(seq, i), &slot);
            if (!ok) break;
            if (f->type == CNN_FIELD_SHAPE) shape->dim[i] = slot.l;
            else if (f->type == CNN_FIELD_F64_ARRAY) ((double *)at)[i] = slot.d;
            else if (f->type == CNN_FIELD_I32_ARRAY) ((int *)at)[i] = (int)slot.l;   /* in [lo, hi] */
            else list[i] = slot.l;
        }
        Py_DECREF(seq);
        if (!ok) {
            PyMem_Free(list);
            return 0;
        }
        if (f->type == CNN_FIELD_SHAPE) shape->ndim = (int)n;
        else if (f->type == CNN_FIELD_F64_ARRAY || f->type == CNN_FIELD_I32_ARRAY)
            *(int *)((char *)rec + f->count_offset) = (int)n;
        else {
            memcpy(at, &list, sizeof list);
            *(long *)((char *)rec + f->count_offset) = (long)n;
        }
        return 1;
    }
    default: return wrong_type(what, f, v);
    }
}

/* Frees the lists parse_record allocated (I64_LIST fields) and clears them. */
static void free_lists(const cnn_record_desc *desc, void *rec)
{
    for (int i = 0; desc && i < desc->nfields; i++)
        if (desc->fields[i].type == CNN_FIELD_I64_LIST) {
            int64_t **at = (int64_t **)(void *)((char *)rec + desc->fields[i].offset);
            PyMem_Free(*at);
            *at = NULL;
        }
}

/* Fields from up to two tables (a layer: its common part, then its kind's parameters). */
static int parse_fields(PyObject *d, const cnn_record_desc *const descs[2], void *const recs[2],
                        const char *what)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(d, &pos, &key, &value)) {
        if (!PyUnicode_Check(key)) {
            PyErr_Format(PyExc_TypeError, "%s record: keys must be field names (str), got %R", what, key);
            return 0;
        }
        const char *name = PyUnicode_AsUTF8(key);
        if (!name) return 0;
        const cnn_field *f = NULL;
        int which = 0;
        for (; which < 2 && !f; which++) f = descs[which] ? cnn_record_field(descs[which], name) : NULL;
        if (!f) {
            PyErr_Format(PyExc_ValueError, "%s record: unknown field %R", what, key);
            return 0;
        }
        if (!parse_value(what, f, value, recs[which - 1])) return 0;
    }
    for (int k = 0; k < 2; k++)
        for (int i = 0; descs[k] && i < descs[k]->nfields; i++)
            if (descs[k]->fields[i].required && !PyDict_GetItemString(d, descs[k]->fields[i].name)) {
                PyErr_Format(PyExc_ValueError, "%s record: field '%s' is required", what,
                             descs[k]->fields[i].name);
                return 0;
            }
    for (int k = 0; k < 2; k++) {
        const char *bad = descs[k] && descs[k]->check ? descs[k]->check(recs[k]) : NULL;
        if (bad) {
            PyErr_Format(PyExc_ValueError, "%s record: field '%s' is inconsistent with the others", what,
                         bad);
            return 0;
        }
    }
    return 1;
}

static int parse_record(PyObject *d, const cnn_record_desc *desc, void *rec, const char *what)
{
    cnn_record_defaults(desc, rec);
    if (!PyDict_Check(d)) {
        PyErr_Format(PyExc_TypeError, "the %s record must be a dict keyed by field name, got %R", what, d);
        return 0;
    }
    const cnn_record_desc *descs[2] = {desc, NULL};
    void *recs[2] = {rec, NULL};
    if (parse_fields(d, descs, recs, what)) return 1;
    free_lists(desc, rec);
    return 0;
}

/* A layer record: the common fields, then those of its kind (its "kind" chooses the table). */
static int parse_layer(PyObject *d, cnn_layer *L)
{
    cnn_record_defaults(&cnn_layer_desc, L);
    if (!PyDict_Check(d)) {
        PyErr_Format(PyExc_TypeError, "a layer record must be a dict keyed by field name, got %R", d);
        return 0;
    }
    PyObject *kind = PyDict_GetItemString(d, "kind");
    if (!kind) {
        PyErr_SetString(PyExc_ValueError, "layer record: field 'kind' is required");
        return 0;
    }
    if (!parse_value("layer", cnn_record_field(&cnn_layer_desc, "kind"), kind, L)) return 0;
    const cnn_record_desc *pdesc = cnn_layer_params_desc(L->kind);
    if (pdesc) cnn_record_defaults(pdesc, L->p.bytes);
    const cnn_record_desc *descs[2] = {&cnn_layer_desc, pdesc};
    void *recs[2] = {L, L->p.bytes};
    if (parse_fields(d, descs, recs, "layer")) return 1;
    free_lists(pdesc, L->p.bytes);
    return 0;
}

static void free_layer(cnn_layer *L) { free_lists(cnn_layer_params_desc(L->kind), L->p.bytes); }

/* O& converters for records: "O&" with one of these fills the struct or raises. */
static int conv_act(PyObject *o, void *out) { return parse_record(o, &cnn_act_desc, out, "activation"); }
static int conv_loss(PyObject *o, void *out) { return parse_record(o, &cnn_loss_desc, out, "loss"); }
static int conv_metric(PyObject *o, void *out) { return parse_record(o, &cnn_metric_desc, out, "metric"); }
static int conv_output(PyObject *o, void *out) { return parse_record(o, &cnn_output_desc, out, "output"); }
static int conv_opt(PyObject *o, void *out) { return parse_record(o, &cnn_opt_desc, out, "optimizer"); }
static int conv_schedule(PyObject *o, void *out)
{ return parse_record(o, &cnn_schedule_desc, out, "schedule"); }

/* _core.enums and _core.fields: what Python may write in a record. */
static PyObject *enum_dict(const cnn_enum_desc *e)
{
    PyObject *d = PyDict_New();
    for (int i = 0; d && i < e->count; i++) {
        PyObject *v = PyLong_FromLong(i);
        if (!v || PyDict_SetItemString(d, e->names[i], v) < 0) Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

static PyObject *field_names(const cnn_record_desc *desc)
{
    PyObject *t = PyTuple_New(desc ? desc->nfields : 0);
    for (int i = 0; t && desc && i < desc->nfields; i++) {
        PyObject *s = PyUnicode_FromString(desc->fields[i].name);
        if (!s) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

/* Adds name -> value to d, consuming value; 0 on failure. */
static int put(PyObject *d, const char *name, PyObject *value)
{
    int ok = value && PyDict_SetItemString(d, name, value) == 0;
    Py_XDECREF(value);
    return ok;
}

static int export_records(PyObject *m)
{
    static const struct {
        const char *name;
        const cnn_enum_desc *e;
        const cnn_record_desc *r;
    } all[] = {
        {"act", &cnn_act_kinds, &cnn_act_desc},
        {"loss", &cnn_loss_kinds, &cnn_loss_desc},
        {"metric", &cnn_metric_kinds, &cnn_metric_desc},
        {"opt", &cnn_opt_kinds, &cnn_opt_desc},
        {"schedule", &cnn_schedule_kinds, &cnn_schedule_desc},
        {"constraint", &cnn_constraint_kinds, &cnn_constraint_desc},
        {"layer", &cnn_layer_kinds, &cnn_layer_desc},
    };
    PyObject *enums = PyDict_New(), *fields = PyDict_New(), *params = PyDict_New();
    int ok = enums && fields && params;
    for (size_t i = 0; ok && i < sizeof all / sizeof all[0]; i++)
        ok = put(enums, all[i].name, enum_dict(all[i].e)) && put(fields, all[i].name, field_names(all[i].r));
    /* the random streams' purposes (cnn_rng_key's second argument) */
    static const struct {
        const char *name;
        int value;
    } purposes[] = {
        {"init", CNN_RNG_INIT},
        {"shuffle", CNN_RNG_SHUFFLE},
        {"dropout", CNN_RNG_DROPOUT},
        {"noise", CNN_RNG_NOISE},
    };
    PyObject *rng = ok ? PyDict_New() : NULL;
    int rng_ok = rng != NULL;
    for (size_t i = 0; rng_ok && i < sizeof purposes / sizeof purposes[0]; i++)
        rng_ok = put(rng, purposes[i].name, PyLong_FromLong(purposes[i].value));
    if (rng_ok) ok = ok && put(enums, "rng", rng);   /* put consumes rng */
    else {
        Py_XDECREF(rng);
        ok = 0;
    }
    for (int k = 0; ok && k < cnn_layer_kind_count(); k++)
        ok = put(params, cnn_layer_kinds.names[k], field_names(cnn_layer_params_desc(k)));
    if (ok) {
        Py_INCREF(params);
        ok = put(fields, "layer_params", params);
    }
    ok = ok && PyModule_AddObject(m, "enums", enums) == 0;
    if (ok) enums = NULL;   /* stolen */
    ok = ok && PyModule_AddObject(m, "fields", fields) == 0;
    if (ok) fields = NULL;
    Py_XDECREF(enums);
    Py_XDECREF(fields);
    Py_XDECREF(params);
    return ok;
}
