package events

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/invopop/jsonschema"
)

// TypeInfo describes one event type subscriptions may receive: its CloudEvent type
// without the io.atrium. prefix, what it means, and the JSON Schema of its data,
// generated from the Go type the code publishes.
type TypeInfo struct {
	Type        Type            `json:"type"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
}

// schemaOf is the JSON Schema of rt's JSON encoding: every field that is not
// omitempty is required, nothing else is allowed.
func schemaOf(rt reflect.Type) (json.RawMessage, error) {
	r := &jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true}
	s := r.ReflectFromType(rt)
	return json.Marshal(s)
}

// EventTypes returns the declared event types (Declare), sorted, with their schemas.
func (b *Bus) EventTypes() ([]TypeInfo, error) {
	b.mu.RLock()
	types := make([]Type, 0, len(b.external))
	for t := range b.external {
		types = append(types, t)
	}
	b.mu.RUnlock()
	slices.Sort(types)
	out := make([]TypeInfo, 0, len(types))
	for _, t := range types {
		info, err := b.EventType(t)
		if err != nil {
			return nil, err
		}
		out = append(out, *info)
	}
	return out, nil
}

// EventType returns one declared event type, or nil when t is not one.
func (b *Bus) EventType(t Type) (*TypeInfo, error) {
	b.mu.RLock()
	desc, ok := b.external[t]
	rt := b.types[t]
	b.mu.RUnlock()
	if !ok {
		return nil, nil
	}
	schema, err := schemaOf(rt)
	if err != nil {
		return nil, fmt.Errorf("events: schema of %s: %w", t, err)
	}
	return &TypeInfo{Type: t, Description: desc, Schema: schema}, nil
}
