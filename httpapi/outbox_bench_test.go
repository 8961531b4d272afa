package httpapi_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/store/storetest"
)

// BenchmarkUserUpdateOutbox measures what event subscriptions add to a change: one
// user's display name updated through the directory service (its transaction writes
// the user, the audit entry and the user.updated event) with 0, 1 and 5 webhook
// subscriptions taking user.*, on a serving node (pushes start after commit; their
// sink refuses connections and backs off). Compare the ns/op of subscriptions=0 with
// the others:
//
//	go test ./httpapi -run '^$' -bench UserUpdateOutbox
func BenchmarkUserUpdateOutbox(b *testing.B) {
	for _, d := range storetest.Dialects() {
		for _, subs := range []int{0, 1, 5} {
			b.Run(fmt.Sprintf("%s/subscriptions=%d", d, subs), func(b *testing.B) {
				e := apptest.Start(b, d)
				o := e.Signup("Bench Co", "bench")
				u := o.Admin.CreateUser("kim")
				for i := range subs {
					o.Admin.Do("POST", "/api/v1/event-subscriptions", map[string]any{"name": fmt.Sprintf("hook %d", i), "event_types": []string{"user.*"},
						"sink": map[string]any{"type": "webhook", "url": "https://127.0.0.1:1/hook"}}).Want(201)
				}
				ctx, cancel := context.WithCancel(context.Background())
				sinks := app.Need[*events.Sinks](e.Main.Kernel)
				sinks.Start(ctx)
				defer func() {
					cancel()
					sinks.Wait()
				}()
				p := &access.Principal{UserID: o.AdminID, Org: o.ID, Name: o.AdminUsername,
					Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(o.ID)}}}
				i := 0
				for b.Loop() {
					i++
					name := fmt.Sprintf("Kim %d", i)
					if _, err := e.Main.Directory.UpdateUser(ctx, p, u.ID, directory.UserPatch{DisplayName: &name}, 0); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
