package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/groups"
	"github.com/atrium-admin/atrium/store"
)

// tenantB is organization B as seen by the cross-tenant test: the ids A must not reach.
type tenantB struct {
	org          *apptest.Org
	user         apptest.User
	deletedUser  apptest.User
	tokenID      string
	sessionID    string
	subscription string
	topic        string
	product      string
	invoice      string
	mail         string
	hook         string // an event subscription
	// group is B's private group with a pending join request (joinRequest);
	// deletedGroup a deleted one.
	group, deletedGroup, joinRequest string
	// thread is a conversation of group, with post and its attachment.
	thread, post, attachment string
	// program and engagement are the operator's, visible to B only, with B's admin a
	// participant; accessRequest is bob's pending request to requestable, also B's only.
	program, engagement, requestable, accessRequest string
	// feedback is B's admin's feedback item on engagement, with feedbackAttachment.
	feedback, feedbackAttachment string
	// pkg and pkgFile are a content package of B's engagement and its file.
	pkg, pkgFile string
	// invitation is B's pending guest invitation.
	invitation string
	// aAdmin and aOrg are A's, for bodies that must be valid in A.
	aAdmin atrium.UserID
	aOrg   atrium.OrgID
	// operatorOrg is a third organization, a valid partner for anyone.
	operatorOrg atrium.OrgID
}

// crossTenantCase builds the requests that aim route at B's objects, as paths with bodies.
type crossTenantCase func(b *tenantB) []crossTenantRequest

type crossTenantRequest struct {
	path string
	body any
}

// userPaths aims a route under /api/v1/users/{id} at every kind of B user.
func userPaths(suffix string, body any) crossTenantCase {
	return func(b *tenantB) []crossTenantRequest {
		var out []crossTenantRequest
		for _, id := range []string{string(b.org.AdminID), string(b.user.ID), string(b.deletedUser.ID)} {
			out = append(out, crossTenantRequest{"/api/v1/users/" + id + suffix, body})
		}
		return out
	}
}

func orgPath(suffix string) crossTenantCase {
	return func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/organizations/" + string(b.org.ID) + suffix, nil}}
	}
}

// groupPaths aims a route under /api/v1/groups/{id} at B's group and deleted group.
func groupPaths(suffix string, body any) crossTenantCase {
	return func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/groups/" + b.group + suffix, body}, {"/api/v1/groups/" + b.deletedGroup + suffix, body}}
	}
}

// groupMemberPaths aims a route under /api/v1/groups/{id}/{members|owners}/{user_id} at
// B's group and B's admin (its owner), and at A's admin in B's group.
func groupMemberPaths(kind string) crossTenantCase {
	return func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/groups/" + b.group + "/" + kind + "/" + string(b.org.AdminID), nil},
			{"/api/v1/groups/" + b.group + "/" + kind + "/" + string(b.aAdmin), nil}}
	}
}

// threadPaths aims a route under /api/v1/groups/{id}/threads/{tid} at B's conversation.
func threadPaths(suffix string, body any) crossTenantCase {
	return func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/groups/" + orNone(b.group, "no-group") + "/threads/" +
			orNone(b.thread, "no-thread") + suffix, body}}
	}
}

// programPaths and engagementPaths aim a route at the operator's program and
// engagements that only B may see; requestPaths at bob's access request.
func programPaths(suffix string, body any) crossTenantCase {
	return func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/programs/" + b.program + suffix, body}}
	}
}

func engagementPaths(suffix string, body any) crossTenantCase {
	return func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/engagements/" + b.engagement + suffix, body}, {"/api/v1/engagements/" + b.requestable + suffix, body}}
	}
}

// feedbackPaths aims a route under /api/v1/engagements/{id}/feedback/{fid} at B's
// admin's feedback item.
func feedbackPaths(suffix string, body any) crossTenantCase {
	return func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/engagements/" + b.engagement + "/feedback/" + orNone(b.feedback, "no-feedback") + suffix, body}}
	}
}

func requestPaths(verb string) crossTenantCase {
	return func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/engagements/" + b.requestable + "/access-requests/" + b.accessRequest + verb, map[string]any{"message": "A"}}}
	}
}

// collab makes the operator's program and engagements visible to B only, with B's admin
// a participant of one and bob asking for access to the other.
func (b *tenantB) collab(t *testing.T, e *apptest.Env) {
	t.Helper()
	op := e.Operator()
	var x struct {
		ID string `json:"id"`
	}
	op.Do("POST", "/api/v1/programs", map[string]any{"name": "Beta program"}).Want(http.StatusCreated).Decode(&x)
	b.program = x.ID
	for _, policy := range []string{"invitation", "request"} {
		op.Do("POST", "/api/v1/engagements", map[string]any{"program_id": b.program, "name": "Beta " + policy, "terms_of_use": "Beta terms",
			"join_policy": policy, "visible_to_org_ids": []atrium.OrgID{b.org.ID}}).Want(http.StatusCreated).Decode(&x)
		b.engagement, b.requestable = b.requestable, x.ID
	}
	op.Do("POST", "/api/v1/engagements/"+b.engagement+"/members?group=participant", map[string]any{"user_ids": []atrium.UserID{b.org.AdminID}}).
		Want(http.StatusOK)
	op.Do("PATCH", "/api/v1/engagements/"+b.engagement, map[string]any{"feedback_enabled": true}).Want(http.StatusOK)
	var fb struct {
		ID          string `json:"id"`
		Attachments []struct {
			ID string `json:"id"`
		} `json:"attachments"`
	}
	b.org.Admin.Do("POST", "/api/v1/engagements/"+b.engagement+"/feedback", map[string]any{"title": "Beta feedback", "type": "bug",
		"attachments": []map[string]any{{"name": "trace.txt", "data": []byte("beta trace")}}}).Want(http.StatusCreated).Decode(&fb)
	b.feedback = fb.ID
	if len(fb.Attachments) == 1 {
		b.feedbackAttachment = fb.Attachments[0].ID
	}
	b.org.Admin.Do("POST", "/api/v1/engagements/"+b.engagement+"/feedback/"+b.feedback+"/comments", map[string]any{"text": "beta comment"}).
		Want(http.StatusCreated)
	body, h := packageForm(t, map[string]string{"name": "Beta build"}, upload{"beta.zip", "application/zip", []byte("beta bits")})
	var pkg struct {
		ID    string `json:"id"`
		Files []struct {
			ID string `json:"id"`
		} `json:"files"`
	}
	op.DoHeader("POST", "/api/v1/engagements/"+b.engagement+"/packages", body, h).Want(http.StatusCreated).Decode(&pkg)
	b.pkg, b.pkgFile = pkg.ID, pkg.Files[0].ID
	e.SignIn(b.user.Username, apptest.Password).Do("POST", "/api/v1/engagements/"+b.requestable+"/access-requests",
		map[string]any{"accept_terms": true, "justification": "beta testing"}).Want(http.StatusCreated).Decode(&x)
	b.accessRequest = x.ID
}

// crossTenantCases has one entry per route with a path parameter. A route added without
// an entry fails TestCrossTenant.
var crossTenantCases = map[string]crossTenantCase{
	"GET /api/v1/users/{id}":                 userPaths("", nil),
	"PATCH /api/v1/users/{id}":               userPaths("", map[string]any{"display_name": "Hijacked", "blocked": true}),
	"DELETE /api/v1/users/{id}":              userPaths("", nil),
	"POST /api/v1/users/{id}/restore":        userPaths("/restore", nil),
	"POST /api/v1/users/{id}/password-reset": userPaths("/password-reset", map[string]any{"password": "Hijack-Passw0rd!"}),
	"PUT /api/v1/users/{id}/roles/{role}":    userPaths("/roles/global_admin", nil),
	"DELETE /api/v1/users/{id}/roles/{role}": userPaths("/roles/global_admin", nil),
	"GET /api/v1/users/{id}/licenses":        userPaths("/licenses", nil),
	"GET /api/v1/users/{id}/sign-in-lock":    userPaths("/sign-in-lock", nil),
	"DELETE /api/v1/users/{id}/sign-in-lock": userPaths("/sign-in-lock", nil),
	"PUT /api/v1/users/{id}/licenses":        userPaths("/licenses", map[string]any{"licenses": []any{}}),
	"GET /api/v1/users/{id}/licenses/removal-preview": func(b *tenantB) []crossTenantRequest {
		return userPaths("/licenses/removal-preview?product_id="+b.product, nil)(b)
	},
	// Instance-wide: a tenant may not set any country's rate.
	"PUT /api/v1/tax-rates/{country}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/tax-rates/SE", map[string]any{"rate_bp": 0}}}
	},
	"DELETE /api/v1/tax-rates/{country}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/tax-rates/SE", nil}}
	},
	"POST /api/v1/outgoing-mail/{id}/resend": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/outgoing-mail/" + b.mail + "/resend", nil}}
	},
	"DELETE /api/v1/api-tokens/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/api-tokens/" + b.tokenID, nil}}
	},
	"DELETE /api/v1/me/sessions/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/me/sessions/" + b.sessionID, nil}}
	},
	"GET /api/v1/organizations/{id}":             orgPath(""),
	"POST /api/v1/organizations/{id}/suspend":    orgPath("/suspend"),
	"POST /api/v1/organizations/{id}/reactivate": orgPath("/reactivate"),
	"POST /api/v1/organizations/{id}/delete": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/organizations/" + string(b.org.ID) + "/delete", map[string]any{"confirm": b.org.Name}}}
	},
	"POST /api/v1/organizations/{id}/restore": orgPath("/restore"),
	"PATCH /api/v1/products/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/products/" + b.product, map[string]any{"name": "Hijacked"}}}
	},
	"GET /api/v1/subscriptions/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/subscriptions/" + b.subscription, nil}}
	},
	"PATCH /api/v1/subscriptions/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/subscriptions/" + b.subscription, map[string]any{"quantity": 1}}}
	},
	"GET /api/v1/subscriptions/{id}/cancel-preview": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/subscriptions/" + b.subscription + "/cancel-preview", nil}}
	},
	"POST /api/v1/subscriptions/{id}/cancel": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/subscriptions/" + b.subscription + "/cancel", nil}}
	},
	"PUT /api/v1/subscriptions/{id}/trial-conversion": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/subscriptions/" + b.subscription + "/trial-conversion", map[string]any{"convert_at_trial_end": true}}}
	},
	"PUT /api/v1/subscriptions/{id}/partner": func(b *tenantB) []crossTenantRequest {
		// A names itself partner of record of B's subscription.
		return []crossTenantRequest{{"/api/v1/subscriptions/" + b.subscription + "/partner", map[string]any{"partner_org_id": string(b.operatorOrg)}}}
	},
	"DELETE /api/v1/subscriptions/{id}/partner": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/subscriptions/" + b.subscription + "/partner", nil}}
	},
	"GET /api/v1/partner/subscriptions/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/partner/subscriptions/" + b.subscription, nil}}
	},
	"GET /api/v1/invoices/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/invoices/" + b.invoice, nil}, {"/api/v1/invoices/" + b.invoice + "?format=csv", nil},
			{"/api/v1/invoices/" + b.invoice + "?format=html", nil}}
	},
	"POST /api/v1/invoices/{id}/pay": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/invoices/" + b.invoice + "/pay", nil}}
	},
	"POST /api/v1/invoices/{id}/void": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/invoices/" + b.invoice + "/void", nil}}
	},
	"PUT /api/v1/social/search-topics/{id}/owner": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{
			// A valid owner for A, so only the topic's organization can refuse it.
			{"/api/v1/social/search-topics/" + b.topic + "/owner", map[string]any{"owner_id": string(b.aAdmin)}},
		}
	},
	"GET /api/v1/event-subscriptions/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/event-subscriptions/" + b.hook, nil}}
	},
	"PATCH /api/v1/event-subscriptions/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/event-subscriptions/" + b.hook, map[string]any{"name": "Hijacked", "state": "paused"}}}
	},
	"DELETE /api/v1/event-subscriptions/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/event-subscriptions/" + b.hook, nil}}
	},
	"POST /api/v1/event-subscriptions/{id}/test": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/event-subscriptions/" + b.hook + "/test", nil}}
	},
	"POST /api/v1/event-subscriptions/{id}/rotate-secret": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/event-subscriptions/" + b.hook + "/rotate-secret", nil}}
	},
	"GET /api/v1/event-subscriptions/{id}/deliveries": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/event-subscriptions/" + b.hook + "/deliveries", nil}}
	},
	"POST /api/v1/event-subscriptions/{id}/redeliver": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/event-subscriptions/" + b.hook + "/redeliver", map[string]any{"since": "2020-01-01T00:00:00Z"}}}
	},
	// {type} names an event type, the same for every organization: any status, B untouched.
	"GET /api/v1/event-types/{type}/schema": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/event-types/user.created/schema", nil}}
	},
	// {name} names one of the caller's own settings, not another tenant's object; the
	// request may succeed, but must leave B alone.
	"GET /api/v1/groups/{id}":                groupPaths("", nil),
	"PATCH /api/v1/groups/{id}":              groupPaths("", map[string]any{"name": "Hijacked", "visibility": "public"}),
	"DELETE /api/v1/groups/{id}":             groupPaths("", nil),
	"POST /api/v1/groups/{id}/restore":       groupPaths("/restore", nil),
	"GET /api/v1/groups/{id}/members":        groupPaths("/members", nil),
	"GET /api/v1/groups/{id}/members/export": groupPaths("/members/export", nil),
	"POST /api/v1/groups/{id}/members": func(b *tenantB) []crossTenantRequest {
		return append(groupPaths("/members", map[string]any{"user_ids": []string{string(b.aAdmin)}})(b),
			groupPaths("/members", map[string]any{"user_ids": []string{string(b.user.ID)}})(b)...)
	},
	"DELETE /api/v1/groups/{id}/members/{user_id}": groupMemberPaths("members"),
	"GET /api/v1/groups/{id}/owners":               groupPaths("/owners", nil),
	"GET /api/v1/groups/{id}/owners/export":        groupPaths("/owners/export", nil),
	"POST /api/v1/groups/{id}/owners": func(b *tenantB) []crossTenantRequest {
		return append(groupPaths("/owners", map[string]any{"user_ids": []string{string(b.aAdmin)}})(b),
			groupPaths("/owners", map[string]any{"user_ids": []string{string(b.user.ID)}})(b)...)
	},
	"DELETE /api/v1/groups/{id}/owners/{user_id}": groupMemberPaths("owners"),
	"PUT /api/v1/groups/{id}/following":           groupPaths("/following", map[string]any{"following": false}),
	"POST /api/v1/groups/{id}/join":               groupPaths("/join", map[string]any{"message": "let me in"}),
	"GET /api/v1/groups/{id}/join-requests":       groupPaths("/join-requests", nil),
	"POST /api/v1/groups/{id}/join-requests/{rid}/approve": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/groups/" + b.group + "/join-requests/" + b.joinRequest + "/approve", nil}}
	},
	"POST /api/v1/groups/{id}/join-requests/{rid}/deny": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/groups/" + b.group + "/join-requests/" + b.joinRequest + "/deny", map[string]any{"reply": "no"}}}
	},
	"GET /api/v1/groups/{id}/threads":              groupPaths("/threads", nil),
	"POST /api/v1/groups/{id}/threads":             groupPaths("/threads", map[string]any{"topic": "Hijacked", "body": "<p>from A</p>"}),
	"GET /api/v1/groups/{id}/threads/{tid}":        threadPaths("", nil),
	"GET /api/v1/groups/{id}/threads/{tid}/posts":  threadPaths("/posts", nil),
	"POST /api/v1/groups/{id}/threads/{tid}/posts": threadPaths("/posts", map[string]any{"body": "<p>from A</p>"}),
	"DELETE /api/v1/groups/{id}/threads/{tid}/posts/{pid}": func(b *tenantB) []crossTenantRequest {
		return threadPaths("/posts/"+orNone(b.post, "no-post"), nil)(b)
	},
	"PUT /api/v1/groups/{id}/threads/{tid}/lock":    threadPaths("/lock", nil),
	"DELETE /api/v1/groups/{id}/threads/{tid}/lock": threadPaths("/lock", nil),
	"GET /api/v1/groups/{id}/threads/{tid}/posts/{pid}/attachments/{aid}": func(b *tenantB) []crossTenantRequest {
		return threadPaths("/posts/"+orNone(b.post, "no-post")+"/attachments/"+orNone(b.attachment, "no-attachment"), nil)(b)
	},
	"DELETE /api/v1/guests/{id}": userPaths("", nil),
	"DELETE /api/v1/guest-invitations/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/guest-invitations/" + b.invitation, nil}}
	},
	"GET /api/v1/programs/{id}":                                   programPaths("", nil),
	"PATCH /api/v1/programs/{id}":                                 programPaths("", map[string]any{"name": "Hijacked"}),
	"GET /api/v1/programs/{id}/members":                           programPaths("/members", nil),
	"POST /api/v1/programs/{id}/members":                          programPaths("/members", map[string]any{"user_ids": []string{"x"}}),
	"DELETE /api/v1/programs/{id}/members/{user_id}":              programPaths("/members/x", nil),
	"GET /api/v1/engagements/{id}":                                engagementPaths("", nil),
	"PATCH /api/v1/engagements/{id}":                              engagementPaths("", map[string]any{"name": "Hijacked"}),
	"POST /api/v1/engagements/{id}/join":                          engagementPaths("/join", map[string]any{"accept_terms": true}),
	"GET /api/v1/engagements/{id}/access-requests":                engagementPaths("/access-requests", nil),
	"POST /api/v1/engagements/{id}/access-requests":               engagementPaths("/access-requests", map[string]any{"accept_terms": true, "justification": "let me in"}),
	"POST /api/v1/engagements/{id}/access-requests/{rid}/approve": requestPaths("/approve"),
	"POST /api/v1/engagements/{id}/access-requests/{rid}/deny":    requestPaths("/deny"),
	"GET /api/v1/engagements/{id}/members":                        engagementPaths("/members", nil),
	"POST /api/v1/engagements/{id}/members":                       engagementPaths("/members", map[string]any{"user_ids": []string{"x"}}),
	"GET /api/v1/engagements/{id}/members/export":                 engagementPaths("/members/export", nil),
	"GET /api/v1/engagements/{id}/candidates":                     engagementPaths("/candidates?q=bob", nil),
	"GET /api/v1/engagements/{id}/copy-candidates":                engagementPaths("/copy-candidates?from=x", nil),
	"POST /api/v1/engagements/{id}/members/copy":                  engagementPaths("/members/copy", map[string]any{"from_engagement_id": "x", "all": true}),
	"GET /api/v1/engagements/{id}/feedback":                       engagementPaths("/feedback", nil),
	"POST /api/v1/engagements/{id}/feedback":                      engagementPaths("/feedback", map[string]any{"title": "From A", "type": "bug"}),
	"GET /api/v1/engagements/{id}/feedback/{fid}":                 feedbackPaths("", nil),
	"PATCH /api/v1/engagements/{id}/feedback/{fid}":               feedbackPaths("", map[string]any{"title": "Hijacked", "state": "declined"}),
	"GET /api/v1/engagements/{id}/feedback/{fid}/comments":        feedbackPaths("/comments", nil),
	"POST /api/v1/engagements/{id}/feedback/{fid}/comments":       feedbackPaths("/comments", map[string]any{"text": "from A"}),
	"GET /api/v1/engagements/{id}/feedback/{fid}/attachments/{aid}": func(b *tenantB) []crossTenantRequest {
		return feedbackPaths("/attachments/"+orNone(b.feedbackAttachment, "no-attachment"), nil)(b)
	},
	"GET /api/v1/engagements/{id}/packages":  engagementPaths("/packages", nil),
	"POST /api/v1/engagements/{id}/packages": engagementPaths("/packages", nil),
	"GET /api/v1/engagements/{id}/packages/{pid}": func(b *tenantB) []crossTenantRequest {
		return engagementPaths("/packages/"+orNone(b.pkg, "no-package"), nil)(b)
	},
	"DELETE /api/v1/engagements/{id}/packages/{pid}": func(b *tenantB) []crossTenantRequest {
		return engagementPaths("/packages/"+orNone(b.pkg, "no-package"), nil)(b)
	},
	"GET /api/v1/engagements/{id}/packages/{pid}/files/{fid}": func(b *tenantB) []crossTenantRequest {
		return engagementPaths("/packages/"+orNone(b.pkg, "no-package")+"/files/"+orNone(b.pkgFile, "no-file"), nil)(b)
	},
	"DELETE /api/v1/engagements/{id}/members/{user_id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/engagements/" + b.engagement + "/members/" + string(b.org.AdminID), nil}}
	},
	// Service health issues are the operator's, read by every organization they target
	// and changed only by operator staff: A reaches no issue that does not exist and
	// changes none.
	"GET /api/v1/service-health/issues/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/service-health/issues/no-issue", nil}}
	},
	"PATCH /api/v1/service-health/issues/{id}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/service-health/issues/no-issue", map[string]any{"status": "resolved"}}}
	},
	"POST /api/v1/service-health/issues/{id}/posts": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/service-health/issues/no-issue/posts", map[string]any{"text": "from A"}}}
	},
	"PUT /api/v1/social/settings/{name}": func(b *tenantB) []crossTenantRequest {
		return []crossTenantRequest{{"/api/v1/social/settings/theme", map[string]any{"value": "dark"}}}
	},
}

// ownNamespaceRoutes are routes whose path parameter is not an object id; any status is
// fine as long as B is left alone.
var ownNamespaceRoutes = []string{"PUT /api/v1/social/settings/{name}", "GET /api/v1/event-types/{type}/schema"}

// orgTables returns every table with an org_id column, so the snapshot of B covers
// modules added later.
func orgTables(t *testing.T, e *apptest.Env) []string {
	t.Helper()
	if e.Dialect == store.Postgres {
		return e.Strings(`SELECT table_name FROM information_schema.columns WHERE column_name = 'org_id' AND table_schema = current_schema() ORDER BY table_name`)
	}
	return e.Strings(`SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'org_id' ORDER BY m.name`)
}

// snapshot returns every row of B in every table.
func snapshot(t *testing.T, e *apptest.Env, org string) map[string][]string {
	t.Helper()
	out := map[string][]string{"organizations": rows(t, e, "SELECT * FROM organizations WHERE id = $1", org)}
	for _, tbl := range orgTables(t, e) {
		out[tbl] = rows(t, e, "SELECT * FROM "+tbl+" WHERE org_id = $1 ORDER BY 1", org)
	}
	return out
}

// TestCrossTenant: A's Global administrator, by session, cookie or API token, gets 403
// or 404 for every route aimed at B's objects, B's data stays exactly as it was, and no
// list A can read shows anything of B.
func TestCrossTenant(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Alpha Works", "alpha")
		b := &tenantB{org: e.Signup("Beta Industries", "beta"), aAdmin: a.AdminID, aOrg: a.ID,
			operatorOrg: atrium.OrgID(e.Strings("SELECT id FROM organizations WHERE operator = TRUE")[0])}
		b.user = b.org.Admin.CreateUser("bob", "user_admin")
		b.deletedUser = b.org.Admin.CreateUser("bea")
		b.org.Admin.Do("DELETE", "/api/v1/users/"+string(b.deletedUser.ID), nil).Want(http.StatusNoContent)
		b.tokenID = createToken(t, b.org.Admin, map[string]any{"name": "beta-ci", "role": "global_reader"}).ID
		e.SignIn(b.user.Username, apptest.Password)
		b.sessionID = e.Strings("SELECT id FROM sessions WHERE user_id = $1", string(b.user.ID))[0]
		b.product = firstOr(e.Strings("SELECT id FROM products ORDER BY id"), "no-product")
		b.org.Admin.Do("POST", "/api/v1/orders", map[string]any{"product_id": b.product, "quantity": 2})
		b.subscription = firstOr(e.Strings("SELECT id FROM subscriptions WHERE org_id = $1", string(b.org.ID)), "no-subscription")
		if _, err := e.Main.Licensing.IssueInvoices(t.Context()); err != nil {
			t.Fatal(err)
		}
		b.invoice = firstOr(e.Strings("SELECT id FROM invoices WHERE org_id = $1", string(b.org.ID)), "no-invoice")
		b.mail = firstOr(e.Strings("SELECT id FROM mail_outbox WHERE org_id = $1", string(b.org.ID)), "no-mail")
		b.org.Admin.Do("POST", "/api/v1/social/search-topics", map[string]any{"name": "Beta launch", "keywords": "beta"})
		b.topic = firstOr(e.Strings("SELECT id FROM social_search_topics WHERE org_id = $1", string(b.org.ID)), "no-topic")
		// A subscription to a type nothing here publishes, at a public address: it is
		// never delivered to.
		b.org.Admin.Do("POST", "/api/v1/event-subscriptions", map[string]any{"name": "Beta lake", "event_types": []string{"seats.low"},
			"sink": map[string]any{"type": "webhook", "url": "https://93.184.215.14/hook"}}).Want(http.StatusCreated)
		b.hook = firstOr(e.Strings("SELECT id FROM event_subscriptions WHERE org_id = $1", string(b.org.ID)), "no-hook")
		b.org.Admin.Do("POST", "/api/v1/groups", map[string]any{"name": "Beta crew", "mail_nickname": "beta-crew", "visibility": "private"}).
			Want(http.StatusCreated)
		b.org.Admin.Do("POST", "/api/v1/groups", map[string]any{"name": "Beta past", "mail_nickname": "beta-past", "visibility": "private"}).
			Want(http.StatusCreated)
		b.group = firstOr(e.Strings("SELECT id FROM org_groups WHERE org_id = $1 AND name = 'Beta crew'", string(b.org.ID)), "no-group")
		b.deletedGroup = firstOr(e.Strings("SELECT id FROM org_groups WHERE org_id = $1 AND name = 'Beta past'", string(b.org.ID)), "no-group")
		b.org.Admin.Do("DELETE", "/api/v1/groups/"+b.deletedGroup, nil).Want(http.StatusNoContent)
		e.SignIn(b.user.Username, apptest.Password).Do("POST", "/api/v1/groups/"+b.group+"/join", map[string]any{"message": "hi"}).
			Want(http.StatusOK)
		b.joinRequest = firstOr(e.Strings("SELECT id FROM group_join_requests WHERE org_id = $1", string(b.org.ID)), "no-request")
		var thread groups.Thread
		b.org.Admin.Do("POST", "/api/v1/groups/"+b.group+"/threads", map[string]any{"topic": "Beta roadmap", "body": "<p>secret plans</p>",
			"attachments": []map[string]any{{"name": "plan.txt", "data": []byte("beta plan")}}}).Want(http.StatusCreated).Decode(&thread)
		if thread.FirstPost != nil && len(thread.FirstPost.Attachments) == 1 {
			b.thread, b.post, b.attachment = thread.ID, thread.FirstPost.ID, thread.FirstPost.Attachments[0].ID
		}
		e.RunJobs() // the post's mail
		b.collab(t, e)
		b.org.Admin.Do("POST", "/api/v1/guests", map[string]any{"email": "visitor@elsewhere.example"}).Want(http.StatusCreated)
		b.invitation = firstOr(e.Strings("SELECT id FROM guest_invitations WHERE org_id = $1", string(b.org.ID)), "no-invitation")

		for name, id := range map[string]string{"product": b.product, "subscription": b.subscription, "search topic": b.topic, "invoice": b.invoice,
			"event subscription": b.hook, "group": b.group, "deleted group": b.deletedGroup, "join request": b.joinRequest,
			"thread": orNone(b.thread, "no-thread"), "feedback": orNone(b.feedback, "no-feedback"),
			"feedback attachment": orNone(b.feedbackAttachment, "no-attachment")} {
			if strings.HasPrefix(id, "no-") {
				t.Errorf("could not create B's %s to aim at", name)
			}
		}
		aToken := e.Bearer(createToken(t, a.Admin, map[string]any{"name": "alpha-admin", "role": "global_admin"}).Token)
		aCookie, _ := e.SignInCookie(a.AdminUsername, apptest.Password, false)
		callers := map[string]*apptest.Client{"session": a.Admin, "api token": aToken, "cookie": aCookie}
		before := snapshot(t, e, string(b.org.ID))

		for _, rt := range e.Main.API.Routes() {
			key := rt.Method + " " + rt.Path
			if !strings.Contains(rt.Path, "{") {
				continue
			}
			build, ok := crossTenantCases[key]
			if !ok {
				t.Errorf("route %s has no cross-tenant case in crossTenantCases", key)
				continue
			}
			for name, c := range callers {
				for _, req := range build(b) {
					res := c.Do(rt.Method, req.path, req.body)
					if slices.Contains(ownNamespaceRoutes, key) {
						continue
					}
					if res.Status != http.StatusForbidden && res.Status != http.StatusNotFound {
						t.Errorf("%s as A's %s: %s %s = %d, want 403 or 404: %s", key, name, rt.Method, req.path, res.Status, res.Body)
						continue
					}
					res.Problem()
				}
			}
		}
		after := snapshot(t, e, string(b.org.ID))
		for tbl, rowsBefore := range before {
			if !slices.Equal(rowsBefore, after[tbl]) {
				t.Errorf("B's %s changed:\nbefore %v\nafter  %v", tbl, rowsBefore, after[tbl])
			}
		}

		// No list A can read shows B.
		secrets := []string{string(b.org.ID), string(b.org.AdminID), string(b.user.ID), string(b.deletedUser.ID), b.tokenID, b.sessionID,
			"Beta Industries", "beta.atrium.localhost", "beta-ci", "Beta program", "Beta invitation", "Beta request", "beta testing", "Beta launch", "Beta crew", "beta-crew", "Beta past", "Beta roadmap", "secret plans", "Beta feedback", "beta comment"}
		if b.subscription != "no-subscription" {
			secrets = append(secrets, b.subscription)
		}
		if b.invoice != "no-invoice" {
			secrets = append(secrets, b.invoice)
		}
		if b.topic != "no-topic" {
			secrets = append(secrets, b.topic)
		}
		for _, rt := range e.Main.API.Routes() {
			if rt.Method != "GET" || rt.Public || strings.Contains(rt.Path, "{") {
				continue
			}
			for _, query := range []string{"", "?q=beta", "?q=bob", "?target=" + string(b.user.ID), "?actor=" + string(b.org.AdminID), "?format=csv"} {
				for name, c := range callers {
					res := c.Do("GET", rt.Path+query, nil)
					for _, s := range secrets {
						if strings.Contains(string(res.Body), s) {
							t.Errorf("GET %s%s as A's %s shows B's %q", rt.Path, query, name, s)
						}
					}
				}
			}
		}
	})
}

func firstOr(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return list[0]
}
