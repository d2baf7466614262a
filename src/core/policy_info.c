/*
 * policy_info.c — read-only introspection of a loaded policy for the
 * services and front ends: roles with their ledger access class, axes,
 * levels and their handling restrictions.
 */
#include <string.h>

#include "core/policy_int.h"
#include "mamori.h"

static const char *const access_classes[] = {
	MMR_ACCESS_ADMIN,   MMR_ACCESS_MANAGER, MMR_ACCESS_SYSTEM,
	MMR_ACCESS_AUDITOR, MMR_ACCESS_STAFF,
};

bool mmr_access_valid(const char *s)
{
	for (size_t i = 0; i < sizeof access_classes / sizeof access_classes[0]; i++)
		if (!strcmp(s, access_classes[i]))
			return true;
	return false;
}

size_t mmr_policy_role_count(const mmr_policy *pol)
{
	return pol->roles.n;
}

static void role_out(const struct mmr_named *r, const char **id, const char **name,
		     const char **access)
{
	if (id)
		*id = r->id;
	if (name)
		*name = r->name;
	if (access)
		*access = r->access ? r->access : MMR_ACCESS_STAFF;
}

int mmr_policy_role_at(const mmr_policy *pol, size_t i, const char **id, const char **name,
		       const char **access)
{
	if (i >= pol->roles.n)
		return MMR_ENOTFOUND;
	role_out(&pol->roles.v[i], id, name, access);
	return MMR_OK;
}

int mmr_policy_role_find(const mmr_policy *pol, const char *id, const char **name,
			 const char **access)
{
	int i = mmr_named_find(&pol->roles, id);
	if (i < 0)
		return MMR_ENOTFOUND;
	role_out(&pol->roles.v[i], NULL, name, access);
	return MMR_OK;
}

size_t mmr_policy_axis_count(const mmr_policy *pol)
{
	return pol->n_axes;
}

int mmr_policy_axis_at(const mmr_policy *pol, size_t i, const char **id, const char **name,
		       size_t *n_levels)
{
	if (i >= pol->n_axes)
		return MMR_ENOTFOUND;
	if (id)
		*id = pol->axes[i].id;
	if (name)
		*name = pol->axes[i].name;
	if (n_levels)
		*n_levels = pol->axes[i].n_levels;
	return MMR_OK;
}

int mmr_policy_level_at(const mmr_policy *pol, size_t i, size_t j, const char **id,
			const char **name)
{
	if (i >= pol->n_axes || j >= pol->axes[i].n_levels)
		return MMR_ENOTFOUND;
	if (id)
		*id = pol->axes[i].levels[j].id;
	if (name)
		*name = pol->axes[i].levels[j].name;
	return MMR_OK;
}

int mmr_policy_level_resolve(const mmr_policy *pol, const char *axis, const char *text,
			     const char **id, size_t *rank)
{
	int a = mmr_axis_find(pol, axis);
	if (a < 0)
		return MMR_ENOTFOUND;
	int l = mmr_level_find(&pol->axes[a], text);
	if (l < 0)
		return MMR_ENOTFOUND;
	if (id)
		*id = pol->axes[a].levels[l].id;
	if (rank)
		*rank = (size_t)l;
	return MMR_OK;
}

const char *mmr_policy_level_restriction(const mmr_policy *pol, size_t i, size_t j, size_t k)
{
	if (i >= pol->n_axes || j >= pol->axes[i].n_levels)
		return NULL;
	const struct mmr_slist *r = &pol->axes[i].levels[j].restrictions;
	return k < r->n ? r->v[k].s : NULL;
}

static const struct mmr_namelist *vocab_list(const mmr_policy *pol, const char *what)
{
	if (!strcmp(what, "kind"))
		return &pol->kinds;
	if (!strcmp(what, "segment"))
		return &pol->segments;
	if (!strcmp(what, "role"))
		return &pol->roles;
	if (!strcmp(what, "action"))
		return &pol->actions;
	if (!strcmp(what, "obligation"))
		return &pol->obligations;
	return NULL;
}

int mmr_policy_vocab_find(const mmr_policy *pol, const char *what, const char *id,
			  const char **name)
{
	const struct mmr_namelist *l = vocab_list(pol, what);
	if (!l)
		return MMR_EINVAL;
	int i = mmr_named_find(l, id);
	if (i < 0)
		return MMR_ENOTFOUND;
	if (name)
		*name = l->v[i].name;
	return MMR_OK;
}

int mmr_policy_vocab_at(const mmr_policy *pol, const char *what, size_t i, const char **id,
			const char **name)
{
	const struct mmr_namelist *l = vocab_list(pol, what);
	if (!l)
		return MMR_EINVAL;
	if (i >= l->n)
		return MMR_ENOTFOUND;
	if (id)
		*id = l->v[i].id;
	if (name)
		*name = l->v[i].name;
	return MMR_OK;
}
