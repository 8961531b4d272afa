package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/atrium-admin/atrium"
)

type healthResponse struct {
	Status            string `json:"status"`
	Database          string `json:"database,omitempty"`
	PendingMigrations int    `json:"pending_migrations"`
}

func (s *Server) registerHealth() {
	s.handle(Route{Method: "GET", Path: "/healthz", Summary: "Liveness: the process serves requests", Tag: "operations", Public: true,
		Response: healthResponse{}}, func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusOK, healthResponse{Status: "ok"})
	})
	s.handle(Route{Method: "GET", Path: "/readyz", Summary: "Readiness: the database answers and migrations are current", Tag: "operations", Public: true,
		Response: healthResponse{}}, func(w http.ResponseWriter, r *http.Request) error {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.DB.Ping(ctx); err != nil {
			return &atrium.Error{Code: atrium.CodeUnavailable, Message: "the database does not answer", Cause: err}
		}
		pending, err := s.DB.Pending(ctx, s.Migrations)
		if err != nil {
			return &atrium.Error{Code: atrium.CodeUnavailable, Message: "cannot read the migration state", Cause: err}
		}
		if pending > 0 {
			return writeJSON(w, http.StatusServiceUnavailable, healthResponse{Status: "migrations pending", Database: string(s.DB.Dialect), PendingMigrations: pending})
		}
		return writeJSON(w, http.StatusOK, healthResponse{Status: "ready", Database: string(s.DB.Dialect)})
	})
	queueDepth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "atrium_job_queue_depth", Help: "Jobs waiting or running."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := s.Queue.Depth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(queueDepth)
	metrics := promhttp.HandlerFor(prometheus.Gatherers{prometheus.DefaultGatherer, reg}, promhttp.HandlerOpts{})
	s.handle(Route{Method: "GET", Path: "/metrics", Summary: "Prometheus metrics", Tag: "operations", Public: true},
		func(w http.ResponseWriter, r *http.Request) error {
			metrics.ServeHTTP(w, r)
			return nil
		})
}
