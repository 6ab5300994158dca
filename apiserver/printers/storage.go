// Ported from k8s.io/kubernetes pkg/printers/storage/storage.go.
// Copyright 2017 The Kubernetes Authors. Licensed under the Apache License, Version 2.0.

package printers

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
)

// TableConvertor adapts a TableGenerator to rest.TableConvertor.
type TableConvertor struct {
	TableGenerator
}

var _ rest.TableConvertor = TableConvertor{}

// ConvertToTable always generates the wide columns: the server sends every
// column with its priority and leaves it to the client (kubectl -o wide) to
// decide which ones to show.
func (c TableConvertor) ConvertToTable(ctx context.Context, obj runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	noHeaders := false
	if tableOptions != nil {
		switch t := tableOptions.(type) {
		case *metav1.TableOptions:
			if t != nil {
				noHeaders = t.NoHeaders
			}
		default:
			return nil, fmt.Errorf("unrecognized type %T for table options, can't display tabular output", tableOptions)
		}
	}
	return c.TableGenerator.GenerateTable(obj, GenerateOptions{Wide: true, NoHeaders: noHeaders})
}
