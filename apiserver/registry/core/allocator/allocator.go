// Package allocator hands out service cluster IPs and node ports from a range, recording
// every allocation in etcd as a bitmap inside a core/v1 RangeAllocation object (upstream's
// /registry/ranges/serviceips and /registry/ranges/servicenodeports keys). Each change is a
// compare-and-swap on that object, so allocations survive restarts and two apiservers on
// one etcd never hand out the same value.
package allocator

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/storage"
)

// ErrFull means every value of the range is taken.
var ErrFull = errors.New("range is full")

// ErrAllocated means the requested value is already taken.
var ErrAllocated = errors.New("provided value is already allocated")

// ErrOutOfRange means the requested value is outside the range.
var ErrOutOfRange = errors.New("provided value is not in the valid range")

// Bitmap allocates offsets 0..size-1 of a range, persisted under key in store.
type Bitmap struct {
	store     storage.Interface
	key       string
	rangeSpec string
	size      int
}

// NewBitmap returns an allocator over size offsets. rangeSpec is recorded in the stored
// object so that a changed range is noticed (upstream stores it the same way).
func NewBitmap(store storage.Interface, key, rangeSpec string, size int) *Bitmap {
	return &Bitmap{store: store, key: key, rangeSpec: rangeSpec, size: size}
}

// Allocate takes the given offset.
func (b *Bitmap) Allocate(ctx context.Context, offset int) error {
	if offset < 0 || offset >= b.size {
		return ErrOutOfRange
	}
	return b.update(ctx, func(bits *big.Int) error {
		if bits.Bit(offset) == 1 {
			return ErrAllocated
		}
		bits.SetBit(bits, offset, 1)
		return nil
	})
}

// AllocateNext takes a free offset, scanning from a random start so that concurrent
// apiservers rarely collide and freed values are not reused at once.
func (b *Bitmap) AllocateNext(ctx context.Context) (int, error) {
	var got int
	err := b.update(ctx, func(bits *big.Int) error {
		start := rand.IntN(b.size)
		for i := range b.size {
			o := (start + i) % b.size
			if bits.Bit(o) == 0 {
				bits.SetBit(bits, o, 1)
				got = o
				return nil
			}
		}
		return ErrFull
	})
	return got, err
}

// Release frees the offset; releasing a free or out-of-range offset does nothing.
func (b *Bitmap) Release(ctx context.Context, offset int) error {
	if offset < 0 || offset >= b.size {
		return nil
	}
	return b.update(ctx, func(bits *big.Int) error {
		bits.SetBit(bits, offset, 0)
		return nil
	})
}

// Has reports whether the offset is allocated.
func (b *Bitmap) Has(ctx context.Context, offset int) (bool, error) {
	obj := &corev1.RangeAllocation{}
	if err := b.store.Get(ctx, b.key, storage.GetOptions{IgnoreNotFound: true}, obj); err != nil {
		return false, err
	}
	return new(big.Int).SetBytes(obj.Data).Bit(offset) == 1, nil
}

func (b *Bitmap) update(ctx context.Context, change func(*big.Int) error) error {
	return b.store.GuaranteedUpdate(ctx, b.key, &corev1.RangeAllocation{}, true, nil,
		storage.SimpleUpdate(func(existing runtime.Object) (runtime.Object, error) {
			ra := existing.(*corev1.RangeAllocation)
			// A changed range (a new --service-cluster-ip-range) keeps the old bits: they
			// still mark taken offsets where the ranges overlap.
			ra.Range = b.rangeSpec
			bits := new(big.Int).SetBytes(ra.Data)
			if err := change(bits); err != nil {
				return nil, err
			}
			ra.Data = bits.Bytes()
			return ra, nil
		}), nil)
}

// String describes the allocator for errors.
func (b *Bitmap) String() string { return fmt.Sprintf("%s (%s)", b.key, b.rangeSpec) }
