// AsyncStore's pool lifetime (the run() template is in the header).
#include "store/async_store.hpp"

namespace mw::server::store {

AsyncStore::AsyncStore(std::shared_ptr<Store> store, std::size_t threads)
    : store_(std::move(store)), pool_(threads == 0 ? 1 : threads) {}

AsyncStore::~AsyncStore() { join(); }

void AsyncStore::join() { pool_.join(); }

}  // namespace mw::server::store
