/* msg.h: the messaging area's handler headers, for the route table. */
#ifndef PX_H_MSG_H
#define PX_H_MSG_H

#include "handlers/channels.h"
#include "handlers/messages.h"
#include "handlers/notifications.h"
#include "handlers/search.h"

#endif
